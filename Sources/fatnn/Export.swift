import ArgumentParser
import FATNNEngine
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pack a trained fatnn model into a deployable packed model file.",
        discussion: """
            Reads a model file ('fatnn train --output') or a worker's training checkpoint, packs its \
            quantized convolutions into bit planes, folds each BatchNorm → ReLU → quantizer inside a \
            residual block into integer thresholds, and writes a FATNNPK1 file (format in \
            docs/ARCHITECTURE.md): the source model, the planes and the thresholds, with a CRC-32. \
            'fatnn eval --packed FILE' scores it and checks it bit for bit against its source.
            """)

    @Argument(help: ArgumentHelp("Model file or training checkpoint of a fatnn model.", valueName: "model"))
    var modelFile: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the packed model.", valueName: "file"))
    var output: String

    func run() throws {
        let file = try ModelFile.read(from: modelFile)
        guard file.quantizer.kind == .fatnn else {
            throw CommandError("\(modelFile): quantizer is \(file.quantizer.kind.rawValue); only fatnn models can be packed")
        }
        let data: Data
        do { data = try PackedModelFile.export(file) } catch { throw CommandError("\(modelFile): cannot pack: \(error)") }
        do { try data.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
            throw CommandError("\(output): cannot write: \(error.localizedDescription)")
        }
        let packed = try PackedModelFile.decode(data, name: output)
        print("\(output): \(file.architecture.rawValue) on \(file.dataset.rawValue), \(packed.network.counts.convs) packed convolutions, "
              + "\(packed.network.counts.folds) folded thresholds, \(data.count) bytes")
    }
}
