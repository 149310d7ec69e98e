/// Binary activations (XNOR-Net, Bi-Real Net): `sign(x)` ∈ {−1, +1} (0 maps to +1), with the
/// clipped straight-through gradient `∂/∂x = [|x| ≤ 1]`. No learnable parameters.
///
/// Sign of a post-ReLU value is always +1, so binary networks feed BatchNorm outputs straight to
/// the quantizer: ``QuantizerSettings/keepsReLUsBeforeQuantizedConvs`` is false for this kind.
public final class BinaryActivationQuantizer: ActivationQuantizer {
    public let shape: ImageShape
    private var cached = Matrix(rows: 0, cols: 0)

    public init(shape: ImageShape) { self.shape = shape }

    public var parameters: [Parameter] { [] }
    public var codes: [Int] { [-1, 1] }
    /// A zero input is +1, so the padding is +1 too (the spec pads before quantizing).
    public var paddingCode: Float { 1 }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        precondition(x.cols == shape.count, "quantizer expects \(shape), got \(x.cols) values per row")
        let y = x.data.withUnsafeBufferPointer { xs in
            Matrix(rows: x.rows, cols: x.cols) { ys in
                Parallel.chunks(xs.count) { _, range in
                    for i in range { ys[i] = xs[i] >= 0 ? 1 : -1 }
                }
            }
        }
        if training { cached = x }
        return y
    }

    public func backward(_ gradQuantized: Matrix) -> Matrix {
        let x = cached
        precondition(gradQuantized.rows == x.rows && gradQuantized.cols == x.cols, "quantizer backward: gradient shape does not match the last training forward")
        return x.data.withUnsafeBufferPointer { xs in
            gradQuantized.data.withUnsafeBufferPointer { gs in
                Matrix(rows: x.rows, cols: x.cols) { dxs in
                    Parallel.chunks(xs.count) { _, range in
                        for i in range { let g = gs[i]; dxs[i] = abs(xs[i]) <= 1 ? g : 0 }
                    }
                }
            }
        }
    }
}

/// Binary weights: `α_o·sign(W)` with one scale per output channel, `α_o = mean |W|` of the
/// channel (XNOR-Net); the latent weights get the clipped straight-through gradient
/// `[|W| ≤ 1]`.
public final class BinaryWeightQuantizer: WeightQuantizer {
    public let outChannels: Int, fanIn: Int
    private var latent: [Float] = []

    public init(outChannels: Int, fanIn: Int) {
        self.outChannels = outChannels
        self.fanIn = fanIn
    }

    public func quantize(_ latent: [Float], training: Bool) -> [Float] {
        let (codes, scales) = quantizeCodes(latent, training: training)
        return codes.indices.map { codes[$0] * scales[$0 / fanIn] }
    }

    /// Codes `sign(W)` (0 maps to +1) and one scale per output channel, `mean |W|` of its row.
    public func quantizeCodes(_ latent: [Float], training: Bool) -> (codes: [Float], scales: [Float]) {
        precondition(latent.count == outChannels * fanIn)
        if training { self.latent = latent }
        var scales = [Float](repeating: 0, count: outChannels)
        for o in 0..<outChannels {
            var s: Float = 0
            for i in (o * fanIn)..<((o + 1) * fanIn) { s += abs(latent[i]) }
            scales[o] = s / Float(fanIn)
        }
        return (latent.map { $0 >= 0 ? 1 : -1 }, scales)
    }

    public func backward(_ gradQuantized: [Float]) -> [Float] {
        precondition(gradQuantized.count == latent.count, "weight quantizer backward before a training forward")
        return zip(gradQuantized, latent).map { g, w in abs(w) <= 1 ? g : 0 }
    }
}
