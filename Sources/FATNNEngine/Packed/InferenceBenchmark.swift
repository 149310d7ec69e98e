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

extension PackedNetwork {
    /// One distinct conv geometry of a packed network: its packed form against the float engine's
    /// ``Conv2d`` of the same geometry, at the same batch and threads.
    public struct ConvComparison: Sendable, Codable {
        /// `Cin x H x W -> Cout x OH x OW, kK sS pP` (as `fatnn bench conv` names shapes).
        public let shape: String
        /// Packed convs of this geometry in the network.
        public let layers: Int
        /// The packed kernel kind.
        public let kernel: String
        /// Multiply-accumulates per batch.
        public let macs: Int
        /// Median seconds per batch of the packed conv as the network runs it, without its epilogue:
        /// window columns gathered from activation runs, then the kernel's raw Int32 accumulators.
        public let packedSeconds: Double
        /// Median seconds per batch of the float engine's forward (inference) of the same geometry
        /// on its default path (Winograd where the shape allows it), without BatchNorm or ReLU.
        public let floatSeconds: Double
        /// `floatSeconds / packedSeconds`: above 1 where the packed conv is faster.
        public var speedup: Double { floatSeconds / packedSeconds }

        enum CodingKeys: String, CodingKey {
            case shape, layers, kernel, macs
            case packedSeconds = "packed_s", floatSeconds = "float_s"
        }
    }

    /// Every distinct packed conv geometry timed against the float engine's, `images` images per
    /// call, kernels on `path`, the engine's threads. The two alternate for `rounds` rounds of
    /// medians over at least `minSeconds` each; each side keeps its best median, so both see the
    /// same machine state. Operands are random (speed does not depend on their values).
    public func compareConvs(images: Int, path: PackedKernel.Path, rounds: Int = 3, minSeconds: Double = 0.1) -> [ConvComparison] {
        func shape(_ c: PackedConv) -> String { "\(c.input) -> \(c.output), k\(c.kernel) s\(c.stride) p\(c.padding)" }
        var groups: [(conv: PackedConv, count: Int)] = []
        for c in convs {
            if let i = groups.firstIndex(where: { shape($0.conv) == shape(c) && $0.conv.weights.kind == c.weights.kind }) {
                groups[i].count += 1
            } else {
                groups.append((c, 1))
            }
        }
        return groups.map { conv, count in
            // The network feeds a tnn4 conv fatnn runs and widens them in packWindows: so does this.
            let runsKind: PackedKernel.Kind = conv.weights.kind == .tnn4 ? .fatnn : conv.weights.kind
            var rng = RandomSource(seed: 9)
            let codes = (0..<(images * conv.input.count)).map { _ in
                UInt8(bitPattern: PackedKernel.randomActivationCode(runsKind, &rng))
            }
            let runs = PackedRuns(codes: codes, shape: conv.input, images: images, padding: conv.padding, kind: runsKind)
            let x = Matrix(rows: images, cols: conv.input.count) { v in for i in v.indices { v[i] = rng.nextGaussian() } }
            let float = Conv2d(name: "compare", input: conv.input, outChannels: conv.output.channels, kernel: conv.kernel,
                               stride: conv.stride, padding: conv.padding, rng: &rng)
            var packed = Double.infinity, floating = Double.infinity
            for _ in 0..<max(1, rounds) {
                packed = min(packed, InferenceBenchmark.median(minSeconds: minSeconds) {
                    _ = PackedKernel.multiplyRaw(conv.weights, conv.packWindows(runs, path: path), path: path)
                })
                floating = min(floating, InferenceBenchmark.median(minSeconds: minSeconds) { _ = float.forward(x, training: false) })
            }
            return ConvComparison(shape: shape(conv),
                                  layers: count, kernel: conv.weights.kind.rawValue,
                                  macs: images * conv.output.count * conv.weights.bits, packedSeconds: packed, floatSeconds: floating)
        }
    }
}
