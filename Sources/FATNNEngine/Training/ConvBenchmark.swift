import FATNNVocabulary
import Foundation

/// Side-by-side speed of ``Conv2d``'s two paths (``FloatConvolution/Path``) on every distinct
/// convolution shape of an architecture: forward, and backward (weight and input gradients), in
/// GFLOP/s counting only the useful multiply-adds (`2·MACs` per pass, `4·MACs` for backward).
/// The paths alternate within each shape, so both see the same machine state.
public struct ConvBenchmark: Sendable {
    /// One shape on one path.
    public struct Row: Sendable, Codable {
        /// `Cin x H x W -> Cout x OH x OW, kK sS pP`.
        public var shape: String
        /// Layers of this shape in the network.
        public var layers: Int
        public var path: String
        public var batch: Int
        public var threads: Int
        public var forwardSeconds: Double
        public var backwardSeconds: Double
        public var forwardGFLOPS: Double
        public var backwardGFLOPS: Double
        /// Largest difference from the other path's forward output and weight gradient, relative
        /// to the largest magnitude (rounding order only: expect ~1e-6).
        public var relativeDifference: Double

        enum CodingKeys: String, CodingKey {
            case shape, layers, path, batch, threads
            case forwardSeconds = "forward_s", backwardSeconds = "backward_s"
            case forwardGFLOPS = "forward_gflops", backwardGFLOPS = "backward_gflops"
            case relativeDifference = "relative_difference"
        }
    }

    public var architecture: ModelArchitecture
    public var input: ImageShape
    public var batch: Int
    /// Minimum seconds of timing per shape, path and pass.
    public var minSeconds: Double
    /// Only the shapes whose description (``Row/shape``) contains this text, when set.
    public var shapeFilter: String?

    public init(architecture: ModelArchitecture, input: ImageShape, batch: Int, minSeconds: Double = 0.3, shapeFilter: String? = nil) {
        self.architecture = architecture
        self.input = input
        self.batch = batch
        self.minSeconds = minSeconds
        self.shapeFilter = shapeFilter
    }

    /// The distinct convolution geometries of the architecture (float network), with counts.
    func shapes() -> [(conv: Conv2d, count: Int)] {
        let model = architecture.build(input: input, classes: 10, seed: 1, quantizer: .fp)
        var found: [(conv: Conv2d, count: Int)] = []
        for case let conv as Conv2d in model.leafLayers {
            if let shapeFilter, !Self.describe(conv).contains(shapeFilter) { continue }
            if let i = found.firstIndex(where: { Self.describe($0.conv) == Self.describe(conv) }) {
                found[i].count += 1
            } else {
                found.append((conv, 1))
            }
        }
        return found
    }

    static func describe(_ c: Conv2d) -> String {
        "\(c.input) -> \(c.output), k\(c.kernel) s\(c.stride) p\(c.padding)"
    }

    /// Measures every shape on every path with the engine's threads.
    public func run() -> [Row] {
        var rows: [Row] = []
        for (template, count) in shapes() {
            var rng = RandomSource(seed: 5)
            let x = Matrix(rows: batch, cols: template.input.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
            let g = Matrix(rows: batch, cols: template.output.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
            let convs = FloatConvolution.Path.allCases.map { path -> Conv2d in
                var seed = RandomSource(seed: 7)
                let c = Conv2d(name: "bench", input: template.input, outChannels: template.output.channels, kernel: template.kernel,
                               stride: template.stride, padding: template.padding, rng: &seed)
                c.path = path
                return c
            }
            // Outputs and weight gradients of every path, to report how far they are from OpenBLAS.
            let results = convs.map { c -> (Matrix, [Float]) in
                let y = c.forward(x, training: true)
                c.weight.grad = [Float](repeating: 0, count: c.weight.grad.count)
                _ = c.backward(g)
                return (y, c.weight.grad)
            }
            let difference = results.dropFirst().map {
                max(Self.relativeDifference(results[0].0.data, $0.0.data), Self.relativeDifference(results[0].1, $0.1))
            }.max() ?? 0
            var forward = [Double](repeating: 0, count: convs.count), backward = forward
            for _ in 0..<3 {  // alternate the paths
                for (i, c) in convs.enumerated() {
                    let f = InferenceBenchmark.median(repetitions: 3, minSeconds: minSeconds / 3) { _ = c.forward(x, training: true) }
                    let b = InferenceBenchmark.median(repetitions: 3, minSeconds: minSeconds / 3) { _ = c.backward(g) }
                    forward[i] = forward[i] == 0 ? f : min(forward[i], f)
                    backward[i] = backward[i] == 0 ? b : min(backward[i], b)
                }
            }
            let flops = 2 * Double(OperationCount.macs(template) * batch)
            for (i, c) in convs.enumerated() {
                rows.append(Row(shape: Self.describe(template), layers: count, path: c.path.rawValue, batch: batch, threads: BLAS.threads,
                                forwardSeconds: forward[i], backwardSeconds: backward[i],
                                forwardGFLOPS: flops / forward[i] / 1e9, backwardGFLOPS: 2 * flops / backward[i] / 1e9,
                                relativeDifference: difference))
            }
        }
        return rows
    }

    /// Largest |a - b| over the largest |a|.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        let scale = max(a.reduce(0) { max($0, abs($1)) }, 1e-30)
        return Double(zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale)
    }
}
