import ArgumentParser
import FATNNEngine
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a saved model on its dataset's official test set.")

    @Argument(help: ArgumentHelp("Model file written by 'fatnn train --output'.", valueName: "model"))
    var modelFile: String

    @Option(help: ArgumentHelp("Directory holding the dataset's IDX files.", valueName: "dir"))
    var dataDir: String?

    @Option(help: "Engine threads (OpenBLAS).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: """
        Pack the model (fatnn only) and score the packed network instead; also compares its codes         at every quantized conv, its logits and its predictions with the float network on the whole         test set, and exits non-zero if any differ.
        """)
    var packed = false

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256, got \(threads)") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let file = try ModelFile.read(from: modelFile)
        let data = try Dataset.load(file.dataset, directory: dataDir)
        guard data.test.shape == file.input else {
            throw CommandError("\(modelFile): the model takes \(file.input) images; \(file.dataset.rawValue) images are \(data.test.shape)")
        }
        if packed { return try evaluatePacked(file, data) }
        let r = Evaluator.evaluate(file.model, images: data.test, indices: Array(0..<data.test.count), normalization: data.name.normalization)
        print(String(format: "%@ (%@ on %@): test accuracy %.2f%%, test loss %.4f over %d images",
                     modelFile, file.architecture.rawValue, file.dataset.rawValue, r.accuracy * 100, r.loss, data.test.count))
    }

    private func evaluatePacked(_ file: ModelFile, _ data: Dataset) throws {
        guard file.quantizer.kind == .fatnn else {
            throw CommandError("\(modelFile): quantizer is \(file.quantizer.kind.rawValue); only fatnn models can be packed")
        }
        let network: PackedNetwork
        do { network = try PackedNetwork(file.model) } catch { throw CommandError("\(modelFile): cannot pack: \(error)") }
        let test = data.test
        let (images, labels) = data.name.normalization.batch(test, indices: Array(0..<test.count)[...])
        var correct = 0
        let batch = 250
        var start = 0
        while start < test.count {
            let n = min(batch, test.count - start)
            let x = Matrix(rows: n, cols: images.cols, data: Array(images.data[start * images.cols..<(start + n) * images.cols]))
            let logits = network.forward(x)
            for r in 0..<n {
                let row = logits.data[r * logits.cols..<(r + 1) * logits.cols]
                if row.indices.max(by: { row[$0] < row[$1] }).map({ $0 - r * logits.cols }) == labels[start + r] { correct += 1 }
            }
            start += n
        }
        let v = network.verify(file.model, against: images, batch: batch)
        print(String(format: "%@ (%@ on %@, packed, %@ kernels): test accuracy %.2f%% over %d images",
                     modelFile, file.architecture.rawValue, file.dataset.rawValue, network.path.rawValue,
                     Double(correct) / Double(test.count) * 100, test.count))
        print("bit-exact against the float network: \(v.exact ? "yes" : "NO") (\(v.codeArrays) code arrays, \(v.codeMismatches) differ; "
              + "\(v.logitMismatches) images with different logits, \(v.predictionMismatches) with different predictions)")
        if !v.exact { throw ExitCode(2) }
    }
}
