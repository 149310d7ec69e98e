/// What a worker measures of a trained ternary model before reporting it: whether its packed
/// network is bit-exact on the whole test set, and packed against float inference speed on this
/// CPU.
public struct PackedReport: Sendable, Equatable {
    /// Codes at every quantized conv, logits and predictions equal on every test image.
    public var exact: Bool
    /// The kernel path used.
    public var path: PackedKernel.Path
    /// Test images compared.
    public var testImages: Int
    /// Median seconds per batch of 1 and of 64, packed.
    public var packedLatency1: Double, packedLatency64: Double
    /// Median seconds per batch of 1 and of 64, the float network in eval mode.
    public var floatLatency1: Double, floatLatency64: Double

    /// Packs `model` and measures it, or nil when it has no packable quantizer (not `fatnn`).
    ///
    /// - Parameters:
    ///   - test: the test set, normalized (`images x C·H·W`).
    ///   - minSeconds: timed seconds per latency figure.
    public static func measure(_ model: Sequential, test: Matrix, minSeconds: Double = 0.3) -> PackedReport? {
        guard let packed = try? PackedNetwork(model) else { return nil }
        let v = packed.verify(model, against: test)
        let shape = test.cols
        func latency(_ batch: Int, _ forward: (Matrix) -> Matrix) -> Double {
            var rng = RandomSource(seed: 9)
            let x = Matrix(rows: batch, cols: shape) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
            return InferenceBenchmark.median(repetitions: 3, minSeconds: minSeconds) { _ = forward(x) }
        }
        return PackedReport(exact: v.exact, path: packed.path, testImages: v.images,
                            packedLatency1: latency(1) { packed.forward($0) }, packedLatency64: latency(64) { packed.forward($0) },
                            floatLatency1: latency(1) { model.forward($0, training: false) },
                            floatLatency64: latency(64) { model.forward($0, training: false) })
    }
}
