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
        let r = Evaluator.evaluate(file.model, images: data.test, indices: Array(0..<data.test.count), normalization: data.name.normalization)
        print(String(format: "%@ (%@ on %@): test accuracy %.2f%%, test loss %.4f over %d images",
                     modelFile, file.architecture.rawValue, file.dataset.rawValue, r.accuracy * 100, r.loss, data.test.count))
    }
}
