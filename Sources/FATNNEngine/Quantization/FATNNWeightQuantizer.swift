/// The FATNN weight quantizer (`FATNN.md` §2): weights standardized per layer,
/// `ŵ = (W − mean)/std` (unbiased std, statistics treated as constants), then codes
/// `w = R(C[−1,0](ŵ·α0)) + R(C[0,1](ŵ·α1))` ∈ {−1, 0, +1}: `+1` iff `ŵ·α1 > 0.5`, `−1` iff
/// `ŵ·α0 < −0.5`. `α0` (negative side) and `α1` (positive side) are learned per layer or per
/// output channel, so the two thresholds may differ while the levels stay symmetric.
public final class FATNNWeightQuantizer: WeightQuantizer {
    public let outChannels: Int
    public let fanIn: Int
    public let perChannel: Bool
    /// Raw parameters `[group][α0, α1]`; `α = |p|`.
    public let alpha: Parameter
    private var standardized: [Float] = []
    private var inverseStd: Float = 1

    public init(name: String, outChannels: Int, fanIn: Int, perChannel: Bool, initial: Float) {
        precondition(initial > 0)
        self.outChannels = outChannels
        self.fanIn = fanIn
        self.perChannel = perChannel
        alpha = Parameter(name: name, value: .init(repeating: initial, count: (perChannel ? outChannels : 1) * 2), decays: false)
    }

    public var parameters: [Parameter] { [alpha] }

    /// Standardizes `w` in place and returns `1/std`.
    static func standardize(_ w: inout [Float]) -> Float {
        let n = w.count
        var mean: Double = 0
        for v in w { mean += Double(v) }
        mean /= Double(n)
        var ss: Double = 0
        for v in w { let d = Double(v) - mean; ss += d * d }
        let std = Swift.max((ss / Double(Swift.max(n - 1, 1))).squareRoot(), 1e-12)
        let m = Float(mean), inv = Float(1 / std)
        for i in w.indices { w[i] = (w[i] - m) * inv }
        return inv
    }

    /// Ternary codes of already standardized weights with the given `(α0, α1)`.
    @inline(__always)
    static func code(_ h: Float, _ a0: Float, _ a1: Float) -> Float {
        if h * a1 > 0.5 { return 1 }
        if h * a0 < -0.5 { return -1 }
        return 0
    }

    /// The spec's gradients at a standardized weight `h`: `(∂w/∂ŵ, ∂w/∂α0, ∂w/∂α1)`.
    @inline(__always)
    static func gradients(_ h: Float, _ a0: Float, _ a1: Float) -> (Float, Float, Float) {
        let neg: Float = h * a0 >= -1 && h <= 0 ? 1 : 0
        let pos: Float = h >= 0 && h * a1 <= 1 ? 1 : 0
        return (a0 * neg + a1 * pos, h * neg, h * pos)
    }

    public func quantize(_ latent: [Float], training: Bool) -> [Float] {
        precondition(latent.count == outChannels * fanIn)
        var h = latent
        let inv = Self.standardize(&h)
        var out = [Float](repeating: 0, count: h.count)
        for o in 0..<outChannels {
            let g = (perChannel ? o : 0) * 2
            let a0 = stepMagnitude(alpha.value[g]), a1 = stepMagnitude(alpha.value[g + 1])
            for i in (o * fanIn)..<((o + 1) * fanIn) { out[i] = Self.code(h[i], a0, a1) }
        }
        if training {
            standardized = h
            inverseStd = inv
        }
        return out
    }

    public func backward(_ gradQuantized: [Float]) -> [Float] {
        precondition(gradQuantized.count == standardized.count, "weight quantizer backward before a training forward")
        var dw = [Float](repeating: 0, count: gradQuantized.count)
        for o in 0..<outChannels {
            let g = (perChannel ? o : 0) * 2
            let a0 = stepMagnitude(alpha.value[g]), a1 = stepMagnitude(alpha.value[g + 1])
            var d0: Float = 0, d1: Float = 0
            for i in (o * fanIn)..<((o + 1) * fanIn) {
                let gq = gradQuantized[i]
                let (dh, da0, da1) = Self.gradients(standardized[i], a0, a1)
                dw[i] = gq * dh * inverseStd
                d0 += gq * da0
                d1 += gq * da1
            }
            alpha.grad[g] += d0 * stepSign(alpha.value[g])
            alpha.grad[g + 1] += d1 * stepSign(alpha.value[g + 1])
        }
        return dw
    }
}
