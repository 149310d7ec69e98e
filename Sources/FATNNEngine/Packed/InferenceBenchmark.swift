import Dispatch

/// End-to-end inference speed of a FATNN network: packed, against the engine's float paths
/// (`fatnn bench inference`).
public enum InferenceBenchmark {
    /// One row; encodes as the `--json` line.
    public struct Measurement: Sendable, Codable {
        /// `fp` (the full-precision model), `fatnn-float` (the training-time fatnn network in eval
        /// mode: float GEMMs over codes) or `fatnn-packed`.
        public let network: String
        public let model: String
        public let batch: Int
        public let threads: Int
        public let path: String
        /// Median seconds per batch.
        public let latencySeconds: Double
        public let imagesPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case network, model, batch, threads, path
            case latencySeconds = "latency_s"
            case imagesPerSecond = "images_per_s"
        }
    }

    /// Median seconds of `body` over at least `repetitions` runs and `minSeconds`.
    public static func median(repetitions: Int = 5, minSeconds: Double = 0.5, _ body: () -> Void) -> Double {
        KernelBenchmark.median(repetitions: repetitions, minSeconds: minSeconds, body)
    }

    /// Measures `network` on random images of `input` shape in batches of `batch`.
    public static func measure(name: String, model: String, path: String, batch: Int, input: ImageShape,
                               minSeconds: Double, _ forward: (Matrix) -> Matrix) -> Measurement {
        var rng = RandomSource(seed: 3)
        let x = Matrix(rows: batch, cols: input.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
        let t = median(minSeconds: minSeconds) { _ = forward(x) }
        return Measurement(network: name, model: model, batch: batch, threads: Parallel.threads, path: path,
                           latencySeconds: t, imagesPerSecond: Double(batch) / t)
    }
}
