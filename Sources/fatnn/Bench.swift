import ArgumentParser
import FATNNEngine
import FATNNVocabulary
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure engine speed (build with -c release).",
        subcommands: [BenchTrain.self, BenchConv.self, BenchKernels.self, BenchInference.self])
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training and inference throughput of a model, in images per second.",
        discussion: """
            Runs full training steps (forward, loss, backward, SGD update) and inference passes on \
            random images of the dataset's shape; the median step gives training images/s. With \
            --json, one JSON object per line: model, quantizer, input, batch, threads, \
            train_images_per_s, eval_images_per_s, train_step_s.
            """)

    @Option(help: "Models, comma-separated: \(ModelArchitecture.names).")
    var model: String = "cnn-s,resnet20"

    @Option(help: "Quantizers, comma-separated: \(QuantizerKind.names) (defaults for their settings). Each model runs with each.")
    var quantizer: String = "fp"

    @Option(help: "Dataset whose image shape is used: \(DatasetName.names).")
    var dataset: String = "fashion-mnist"

    @Option(help: "Batch size.") var batch: Int = 128
    @Option(help: "Timed steps per measurement.") var steps: Int = 10
    @Option(help: "Engine threads (OpenBLAS).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "One JSON object per line instead of a table.") var json = false
    @Flag(help: "Also print the time spent per layer kind, forward and backward.") var profile = false

    func validate() throws {
        _ = try BenchOptions.models(model)
        for q in quantizer.split(separator: ",") where QuantizerKind(rawValue: String(q)) == nil {
            throw ValidationError("--quantizer '\(q)' is unknown; known: \(QuantizerKind.names)")
        }
        _ = try BenchOptions.dataset(dataset)
        guard (2...4096).contains(batch) else { throw ValidationError("--batch must be in 2...4096") }
        guard (1...10_000).contains(steps) else { throw ValidationError("--steps must be in 1...10000") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let shape = try BenchOptions.dataset(dataset).imageShape
        if !json { print("model      quantizer  input    batch  threads  train img/s  eval img/s  train step ms") }
        let kinds = quantizer.split(separator: ",").map { QuantizerSettings(kind: .init(rawValue: String($0))!) }
        for (arch, q) in try BenchOptions.models(model).flatMap({ m in kinds.map { (m, $0) } }) {
            let m = arch.rawValue
            guard arch.supports(q) else {
                FileHandle.standardError.write(Data("skipping \(m) with \(q.kind.rawValue): \(m) has no convolutions to quantize\n".utf8))
                continue
            }
            let r = TrainingBenchmark(architecture: arch, quantizer: q, input: shape, batch: batch, steps: steps).run()
            if json {
                try printJSONLine(r)
            } else {
                print(r.model.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + r.quantizer.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + " " + r.input.padding(toLength: 8, withPad: " ", startingAt: 0)
                      + String(format: " %5d  %7d  %11.0f  %10.0f  %13.1f", r.batch, r.threads,
                               r.trainImagesPerSecond, r.evalImagesPerSecond, r.trainStepSeconds * 1000))
            }
            if profile {
                let bench = TrainingBenchmark(architecture: arch, quantizer: q, input: shape, batch: batch, steps: steps)
                let parts = bench.profile()
                let total = parts.reduce(0) { $0 + $1.1 }
                for (name, seconds) in parts {
                    print(String(format: "    %-28@ %8.1f ms/step  %5.1f%%", name as NSString, seconds * 1000 / Double(steps), seconds / total * 100))
                }
            }
        }
    }
}

/// The `--model` list and `--dataset` name of the bench commands, checked and parsed in one place.
enum BenchOptions {
    /// The architectures of a comma-separated `--model` list.
    static func models(_ list: String) throws -> [ModelArchitecture] {
        try list.split(separator: ",").map { m in
            guard let arch = ModelArchitecture(rawValue: String(m)) else {
                throw ValidationError("--model '\(m)' is unknown; known: \(ModelArchitecture.names)")
            }
            return arch
        }
    }

    /// The dataset of `--dataset`.
    static func dataset(_ name: String) throws -> DatasetName {
        guard let dataset = DatasetName(rawValue: name) else {
            throw ValidationError("--dataset '\(name)' is unknown; known: \(DatasetName.names)")
        }
        return dataset
    }
}
