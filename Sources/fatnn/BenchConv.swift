import ArgumentParser
import FATNNEngine
import FATNNVocabulary
import Foundation

struct BenchConv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Float convolution speed, direct C kernels and Winograd against OpenBLAS per tap, per layer shape.",
        discussion: """
            For each distinct convolution shape of the models (float networks), times forward and \
            backward (weight and input gradients) of Conv2d on every path (openblas, direct, \
            winograd: the direct kernels with Winograd F(2x2, 3x3) where the shape is 3x3 stride 1 \
            padding 1), alternating them, with the engine's threads; GFLOP/s count the direct \
            convolution's multiply-adds, so Winograd's figure is an effective rate. 'diff' is the \
            largest difference between any path's outputs and weight gradients and OpenBLAS's, \
            relative to the largest value (rounding order). The training default is the direct path where the CPU has \
            AVX2 + FMA; FATNN_FLOAT_PATH=scalar|avx2|avx512 picks the direct kernels' CPU path \
            (the tap kernel takes AVX-512 on AMD CPUs that have it, with the same bits; the \
            others only on request), FATNN_CONV=openblas|direct the path for everything. With --json, \
            one JSON object per line.
            """)

    @Option(help: "Models, comma-separated: \(ModelArchitecture.names).")
    var model: String = "cnn-s,resnet20"

    @Option(help: "Dataset whose image shape is used: \(DatasetName.names).")
    var dataset: String = "fashion-mnist"

    @Option(help: "Images per call.") var batch: Int = 128
    @Option(help: "Engine threads.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Minimum seconds of timing per shape, path and pass.") var seconds: Double = 0.3
    @Option(help: "Only the shapes whose description contains this text, e.g. '64x7x7 -> 64x7x7' or 'k1'.")
    var shape: String?
    @Flag(help: "One JSON object per line instead of a table.") var json = false

    func validate() throws {
        _ = try BenchOptions.models(model)
        _ = try BenchOptions.dataset(dataset)
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be in 1...4096") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256") }
        guard seconds > 0 && seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let input = try BenchOptions.dataset(dataset).imageShape
        if !json {
            print("kernel path: \(FloatConvolution.kernelName); default conv path: \(FloatConvolution.defaultPath.rawValue)")
            print("model     shape                                         layers  path      fwd GFLOP/s  bwd GFLOP/s     vs openblas fwd  bwd   diff")
        }
        for arch in try BenchOptions.models(model) {
            let m = arch.rawValue
            let rows = ConvBenchmark(architecture: arch, input: input, batch: batch, minSeconds: seconds, shapeFilter: shape).run()
            if rows.isEmpty {
                FileHandle.standardError.write(Data("\(m) has no convolutions\(shape.map { " matching '\($0)'" } ?? "")\n".utf8))
            }
            for (i, r) in rows.enumerated() {
                if json { try printJSONLine(r); continue }
                // Each shape's rows start with the OpenBLAS one: the others print their ratio to it.
                let base = rows[..<i].last { $0.shape == r.shape && $0.path == FloatConvolution.Path.openblas.rawValue }
                let ratio = base.map { String(format: "%19.2fx %5.2fx", $0.forwardSeconds / r.forwardSeconds, $0.backwardSeconds / r.backwardSeconds) }
                    ?? String(repeating: " ", count: 26)
                print(m.padding(toLength: 9, withPad: " ", startingAt: 0) + " "
                      + r.shape.padding(toLength: 45, withPad: " ", startingAt: 0)
                      + String(format: " %6d  %-8@ %11.1f  %11.1f", r.layers, r.path as NSString, r.forwardGFLOPS, r.backwardGFLOPS)
                      + ratio + String(format: "  %.0e", r.relativeDifference))
            }
        }
    }
}
