import ArgumentParser
import FATNNEngine
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a saved model on its dataset's official test set.")

    @Argument(help: ArgumentHelp("Model file written by 'fatnn train --output', or with --packed a packed model file from 'fatnn export'.", valueName: "model"))
    var modelFile: String

    @Option(help: ArgumentHelp("Directory holding the dataset's IDX files.", valueName: "dir"))
    var dataDir: String?

    @Option(help: "Engine threads (OpenBLAS).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: """
        Pack the model (any quantized kind) and score the packed network instead; also compares its codes         at every quantized conv, its logits and its predictions with the float network on the whole         test set, and exits non-zero if any differ.
        """)
    var packed = false

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256, got \(threads)") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        guard let bytes = FileManager.default.contents(atPath: modelFile) else {
            throw CommandError("\(modelFile): no such file or not readable")
        }
        if PackedModelFile.isPacked(bytes) {
            guard packed else { throw CommandError("\(modelFile): a packed model file; evaluate it with --packed") }
            let p = try PackedModelFile.decode(bytes, name: modelFile)
            let data = try Dataset.load(p.source.dataset, directory: dataDir)
            return try evaluatePacked(p.source, p.network, data)
        }
        let file = try ModelFile.decode(bytes, name: modelFile)
        let data = try Dataset.load(file.dataset, directory: dataDir)
        guard data.test.shape == file.input else {
            throw CommandError("\(modelFile): the model takes \(file.input) images; \(file.dataset.rawValue) images are \(data.test.shape)")
        }
        if packed {
            guard file.quantizer.kind != .fp else {
                throw CommandError("\(modelFile): a full-precision (fp) model has no quantized convolutions to pack")
            }
            do { return try evaluatePacked(file, try PackedNetwork(file.model), data) } catch let e as PackedNetwork.Error {
                throw CommandError("\(modelFile): cannot pack: \(e)")
            }
        }
        let r = Evaluator.evaluate(file.model, images: data.test, indices: Array(0..<data.test.count), normalization: data.name.normalization)
        print(String(format: "%@ (%@ on %@): test accuracy %.2f%%, test loss %.4f over %d images",
                     modelFile, file.architecture.rawValue, file.dataset.rawValue, r.accuracy * 100, r.loss, data.test.count))
    }

    private func evaluatePacked(_ file: ModelFile, _ network: PackedNetwork, _ data: Dataset) throws {
        guard data.test.shape == file.input else {
            throw CommandError("\(modelFile): the model takes \(file.input) images; \(file.dataset.rawValue) images are \(data.test.shape)")
        }
        let test = data.test
        let (images, labels) = data.name.normalization.batch(test, indices: Array(0..<test.count)[...])
        // One pass: the packed network's accuracy and its comparison with the float network.
        let v = network.verify(file.model, against: images, labels: labels, batch: 250)
        print(String(format: "%@ (%@ on %@, packed, %@ kernels): test accuracy %.2f%% over %d images",
                     modelFile, file.architecture.rawValue, file.dataset.rawValue, network.path.rawValue,
                     Double(v.packedCorrect) / Double(test.count) * 100, test.count))
        print("bit-exact against the float network: \(v.exact ? "yes" : "NO") (\(v.codeArrays) code arrays, \(v.codeMismatches) differ; "
              + "\(v.logitMismatches) images with different logits, \(v.predictionMismatches) with different predictions)")
        if !v.exact { throw ExitCode(2) }
    }
}
