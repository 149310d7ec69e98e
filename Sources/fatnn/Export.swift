import ArgumentParser
import FATNNClient
import FATNNCommandLine
import FATNNEngine
import FATNNJobs
import Foundation

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pack a trained fatnn model into a deployable packed model file.",
        discussion: """
            Reads a model file ('fatnn train --output'), a worker's training checkpoint, or, with \
            --job ID, the model a coordinator stored for that job; packs its quantized \
            convolutions into bit planes, folds each BatchNorm → ReLU → quantizer inside a \
            residual block into integer thresholds, and writes a FATNNPK1 file (format in \
            docs/ARCHITECTURE.md): the source model, the planes and the thresholds, with a CRC-32. \
            'fatnn eval --packed FILE' scores it and checks it bit for bit against its source.
            """)

    @Argument(help: ArgumentHelp("Model file or training checkpoint of a fatnn model (not with --job).", valueName: "model"))
    var modelFile: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the packed model.", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("Export the model the coordinator stored for this job.", valueName: "id"))
    var job: Int64?

    /// Where the coordinator is, with --job.
    @OptionGroup var connection: CoordinatorOptions

    func validate() throws {
        guard (modelFile == nil) != (job == nil) else { throw ValidationError("give a model file or --job ID, not both or neither") }
    }

    func run() async throws {
        let name: String
        let file: ModelFile
        if let job {
            let client = try connection.client()
            let detail = try await client.job(job)
            guard detail.row.state == .succeeded else { throw CommandError("job \(job) is \(detail.row.state.rawValue); only a succeeded job has a model") }
            name = "job \(job)'s model"
            let data = try await client.downloadArtifact(configHash: detail.configHash, replica: detail.replica)
            file = try ModelFile.decode(data, name: name)
        } else {
            name = modelFile!
            file = try ModelFile.read(from: name)
        }
        guard file.quantizer.kind == .fatnn else {
            throw CommandError("\(name): quantizer is \(file.quantizer.kind.rawValue); only fatnn models can be packed")
        }
        let data: Data
        do { data = try PackedModelFile.export(file) } catch { throw CommandError("\(name): cannot pack: \(error)") }
        do { try data.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
            throw CommandError("\(output): cannot write: \(error.localizedDescription)")
        }
        let packed = try PackedModelFile.decode(data, name: output)
        print("\(output): \(file.architecture.rawValue) on \(file.dataset.rawValue), \(packed.network.counts.convs) packed convolutions, "
              + "\(packed.network.counts.folds) folded thresholds, \(data.count) bytes")
    }
}
