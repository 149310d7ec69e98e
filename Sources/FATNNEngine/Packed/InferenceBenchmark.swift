import Dispatch

/// End-to-end inference speed of quantized networks: packed, against the engine's float paths
/// (`fatnn bench inference`).
public enum InferenceBenchmark {
    /// One row; encodes as the `--json` line.
    public struct Measurement: Sendable, Codable {
        /// The network: `fp` (the full-precision model), a quantizer kind (its packed network),
        /// `tnn4` (the tnn network on the 4-popcount kernel), or `NAME-float` (the training-time
        /// network in eval mode: float GEMMs over codes).
        public let network: String
        /// The packed kernel kinds of its convolutions, or `float`.
        public let kernel: String
        public let model: String
        public let batch: Int
        public let threads: Int
        public let path: String
        /// Whether the packed network gave the training-time network's codes and logits, bit for
        /// bit, on the check images before it was timed (nil for float rows).
        public let exact: Bool?
        /// Median seconds per batch.
        public let latencySeconds: Double
        public let imagesPerSecond: Double

        public init(network: String, kernel: String, model: String, batch: Int, threads: Int, path: String, exact: Bool?,
                    latencySeconds: Double) {
            self.network = network; self.kernel = kernel; self.model = model; self.batch = batch; self.threads = threads
            self.path = path; self.exact = exact; self.latencySeconds = latencySeconds
            imagesPerSecond = Double(batch) / latencySeconds
        }

        enum CodingKeys: String, CodingKey {
            case network, kernel, model, batch, threads, path, exact
            case latencySeconds = "latency_s"
            case imagesPerSecond = "images_per_s"
        }
    }

    /// Median seconds of `body` over at least `repetitions` runs and `minSeconds`.
    public static func median(repetitions: Int = 5, minSeconds: Double = 0.5, _ body: () -> Void) -> Double {
        KernelBenchmark.median(repetitions: repetitions, minSeconds: minSeconds, body)
    }

    /// Median seconds per batch of `forward` on random images of `input` shape in batches of `batch`.
    public static func time(batch: Int, input: ImageShape, minSeconds: Double, _ forward: (Matrix) -> Matrix) -> Double {
        var rng = RandomSource(seed: 3)
        let x = Matrix(rows: batch, cols: input.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
        return median(minSeconds: minSeconds) { _ = forward(x) }
    }
}

extension PackedNetwork {
    /// The packed conv with the most multiply-accumulates per image, and that count.
    public var largestConv: (conv: PackedConv, macsPerImage: Int)? {
        convs.map { ($0, $0.output.count * $0.weights.bits) }.max { $0.1 < $1.1 }
    }

    /// Seconds per call of `conv`'s kernel alone (window packing excluded) on random activations
    /// of `images` images, on `path` with the engine's threads.
    public static func kernelSeconds(_ conv: PackedConv, images: Int, path: PackedKernel.Path, minSeconds: Double) -> Double {
        var rng = RandomSource(seed: 8)
        let x = PackedActivations(random: conv.weights.kind, columns: images * conv.output.plane, bits: conv.weights.bits, rng: &rng)
        return KernelBenchmark.median(repetitions: 5, minSeconds: minSeconds) { _ = PackedKernel.multiplyRaw(conv.weights, x, path: path) }
    }
}
