import ArgumentParser
import FATNNEngine
import Foundation

struct BenchInference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "End-to-end inference of a FATNN network: packed against the engine's float paths.",
        discussion: """
            Times, side by side on random images, the full-precision model (fp), the fatnn network \
            as trained (fatnn-float: eval mode, float GEMMs over the integer codes) and the same \
            network packed (fatnn-packed: bit-plane kernels, folded thresholds). Without \
            --model-file the networks are freshly initialized (speed does not depend on the values). \
            With --json, one JSON object per line: network, model, batch, threads, path, latency_s, \
            images_per_s.
            """)

    @Option(help: "Architecture when no model file is given: cnn-s or resnet20.") var model: String = "resnet20"
    @Option(help: ArgumentHelp("A fatnn model file to pack and time instead of a fresh network.", valueName: "file"))
    var modelFile: String?
    @Option(help: "Batch sizes, comma-separated.") var batch: String = "1,64"
    @Option(help: "Engine threads.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Minimum seconds of timed runs per row.") var seconds: Double = 1
    @Flag(help: "One JSON object per line instead of a table.") var json = false
    @Flag(help: "Also print where the packed network's time goes, per step kind.") var profile = false

    var batches: [Int] { batch.split(separator: ",").compactMap { Int($0) } }

    func validate() throws {
        guard ["cnn-s", "resnet20"].contains(model) else { throw ValidationError("--model must be cnn-s or resnet20, got '\(model)'") }
        guard !batches.isEmpty, batches.count == batch.split(separator: ",").count, batches.allSatisfy({ (1...1024).contains($0) }) else {
            throw ValidationError("--batch takes batch sizes in 1...1024, comma-separated; got '\(batch)'")
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256") }
        guard seconds > 0 && seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let arch: ModelArchitecture, input: ImageShape, network: Sequential
        if let modelFile {
            let file = try ModelFile.read(from: modelFile)
            guard file.quantizer.kind == .fatnn else {
                throw CommandError("\(modelFile): quantizer is \(file.quantizer.kind.rawValue); only fatnn models can be packed")
            }
            (arch, input, network) = (file.architecture, file.input, file.model)
        } else {
            arch = ModelArchitecture(rawValue: model)!
            input = DatasetName.fashionMNIST.imageShape
            network = arch.build(input: input, classes: 10, seed: 1, quantizer: .init(kind: .fatnn))
        }
        let fp = arch.build(input: input, classes: 10, seed: 1)
        let packed: PackedNetwork
        do { packed = try PackedNetwork(network) } catch { throw CommandError("cannot pack: \(error)") }
        if !json { print("network       model     batch  threads  path      latency ms  images/s  vs fp") }
        for b in batches {
            let rows = [
                InferenceBenchmark.measure(name: "fp", model: arch.rawValue, path: "openblas", batch: b, input: input,
                                           minSeconds: seconds) { fp.forward($0, training: false) },
                InferenceBenchmark.measure(name: "fatnn-float", model: arch.rawValue, path: "openblas", batch: b, input: input,
                                           minSeconds: seconds) { network.forward($0, training: false) },
                InferenceBenchmark.measure(name: "fatnn-packed", model: arch.rawValue, path: packed.path.rawValue, batch: b,
                                           input: input, minSeconds: seconds) { packed.forward($0) },
            ]
            if profile {
                packed.profile = [:]
                var rng = RandomSource(seed: 4)
                let x = Matrix(rows: b, cols: input.count) { v in for i in v.indices { v[i] = rng.nextGaussian() } }
                let runs = 5
                for _ in 0..<runs { _ = packed.forward(x) }
                let parts = packed.profile!.sorted { $0.value > $1.value }
                let total = parts.reduce(0) { $0 + $1.value }
                for (name, t) in parts {
                    print(pad("    " + name, 34) + String(format: " %8.2f ms/batch  %5.1f%%", t * 1000 / Double(runs), t / total * 100))
                }
                packed.profile = nil
            }
            for r in rows {
                if json {
                    try printJSONLine(r)
                } else {
                    print(pad(r.network, 13) + " " + pad(r.model, 9) + String(format: " %5d  %7d  ", r.batch, r.threads) + pad(r.path, 8)
                          + String(format: "  %10.3f  %8.0f  %5.2fx", r.latencySeconds * 1000, r.imagesPerSecond,
                                   r.imagesPerSecond / rows[0].imagesPerSecond))
                }
            }
        }
    }
}
