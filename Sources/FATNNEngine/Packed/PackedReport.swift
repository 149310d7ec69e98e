/// What a worker measures of a trained model before reporting it: for a quantized model, whether
/// its packed network is bit-exact on the whole test set and packed against float inference speed
/// on this CPU; for a full-precision model, the float engine's inference speed (the same axis);
/// for a quantized model that cannot be packed, why.
public struct PackedReport: Sendable, Equatable {
    /// Codes at every quantized conv, logits and predictions equal on every test image (nil for
    /// full precision and when packing failed).
    public var exact: Bool?
    /// The packed kernel of the model's convolutions (`fatnn`, `fatnn-a2`, `2bit-signed`,
    /// `binary`), or `float` for a full-precision model; nil when packing failed.
    public var kernel: String?
    /// The kernel path used (nil for full precision and when packing failed).
    public var path: PackedKernel.Path?
    /// Test images compared.
    public var testImages = 0
    /// Median seconds per batch of 1 and of 64: packed, or the float engine for full precision.
    public var packedLatency1: Double?, packedLatency64: Double?
    /// Median seconds per batch of 1 and of 64, the float network in eval mode.
    public var floatLatency1: Double?, floatLatency64: Double?
    /// Why the model could not be packed.
    public var error: String?

    /// A report of a model that could not be packed.
    public init(error: String) { self.error = error }

    init(exact: Bool?, kernel: String, path: PackedKernel.Path?, testImages: Int, packedLatency1: Double, packedLatency64: Double,
         floatLatency1: Double, floatLatency64: Double) {
        self.exact = exact
        self.kernel = kernel
        self.path = path
        self.testImages = testImages
        self.packedLatency1 = packedLatency1
        self.packedLatency64 = packedLatency64
        self.floatLatency1 = floatLatency1
        self.floatLatency64 = floatLatency64
    }

    /// Packs `model` and measures it; for `quantized == false` (an `fp` model) times the float
    /// engine alone. A model that cannot be packed gives a report with ``error``.
    ///
    /// - Parameters:
    ///   - test: the test set, normalized (`images x C·H·W`).
    ///   - minSeconds: timed seconds per latency figure.
    public static func measure(_ model: Sequential, quantized: Bool = true, test: Matrix, minSeconds: Double = 0.3) -> PackedReport {
        let shape = test.cols
        func latency(_ batch: Int, _ forward: (Matrix) -> Matrix) -> Double {
            var rng = RandomSource(seed: 9)
            let x = Matrix(rows: batch, cols: shape) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
            return InferenceBenchmark.median(repetitions: 3, minSeconds: minSeconds) { _ = forward(x) }
        }
        let float1 = latency(1) { model.forward($0, training: false) }, float64 = latency(64) { model.forward($0, training: false) }
        guard quantized else {
            return PackedReport(exact: nil, kernel: "float", path: nil, testImages: 0, packedLatency1: float1, packedLatency64: float64,
                                floatLatency1: float1, floatLatency64: float64)
        }
        let packed: PackedNetwork
        do { packed = try PackedNetwork(model) } catch { return PackedReport(error: "\(error)") }
        let v = packed.verify(model, against: test)
        let kinds = Set(packed.convs.map(\.weights.kind.rawValue)).sorted().joined(separator: "+")
        return PackedReport(exact: v.exact, kernel: kinds, path: packed.path, testImages: v.images,
                            packedLatency1: latency(1) { packed.forward($0) }, packedLatency64: latency(64) { packed.forward($0) },
                            floatLatency1: float1, floatLatency64: float64)
    }
}
