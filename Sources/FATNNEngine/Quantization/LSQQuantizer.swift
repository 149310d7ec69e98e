/// Learned Step Size Quantization (Esser et al., 2020) for activations: values
/// `s·R(C[0, Qp](x/s))` with a learned step `s`, and LSQ's gradients: `∂/∂x = [0 ≤ x/s ≤ Qp]`,
/// `∂/∂s = R(v) − v` inside, `Qp` above, 0 below, scaled by `1/√(N·Qp)` (N: values per image).
///
/// `levels` = 3 gives `{0,1,2}·s`, the conventional ternary baseline with uniform thresholds;
/// 4 gives unsigned 2-bit. The step starts at `2·mean|x|/√Qp` of the first training batch.
public final class LSQActivationQuantizer: ActivationQuantizer {
    public let shape: ImageShape
    public let levels: Int
    /// The step `s` (one per layer).
    public let step: Parameter
    /// 1 once the step has been initialized from data.
    public let initialized: Buffer
    private var cached = Matrix(rows: 0, cols: 0)

    public init(name: String, shape: ImageShape, levels: Int) {
        precondition(levels >= 2)
        self.shape = shape
        self.levels = levels
        step = Parameter(name: name, value: [1], decays: false)
        initialized = Buffer(name: "\(name)_initialized", value: [0])
    }

    public var parameters: [Parameter] { [step] }
    public var buffers: [Buffer] { [initialized] }
    public var codes: [Int] { Array(0..<levels) }
    private var qp: Float { Float(levels - 1) }
    public var scale: Float { stepMagnitude(step.value[0]) }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        let c = codeForward(x, training: training), s = scale
        return Matrix(rows: c.rows, cols: c.cols, data: c.data.map { $0 * s })
    }

    /// `R(C[0, Qp](x/s))`: the codes, before the scale.
    public func codeForward(_ x: Matrix, training: Bool) -> Matrix {
        precondition(x.cols == shape.count, "quantizer expects \(shape), got \(x.cols) values per row")
        if training && initialized.value[0] == 0 {
            var s: Double = 0
            for v in x.data { s += Double(abs(v)) }
            step.value[0] = lsqInitialStep(sumOfMagnitudes: s, count: x.data.count, qp: qp, floor: 1e-4)
            initialized.value[0] = 1
        }
        let s = stepMagnitude(step.value[0]), qp = self.qp
        let y = x.data.withUnsafeBufferPointer { xs in
            Matrix(rows: x.rows, cols: x.cols) { ys in
                Parallel.chunks(xs.count) { _, range in
                    for i in range { ys[i] = Swift.min(Swift.max(xs[i] / s, 0), qp).rounded(.toNearestOrEven) }
                }
            }
        }
        if training { cached = x }
        return y
    }

    public func backward(_ gradQuantized: Matrix) -> Matrix {
        let x = cached
        precondition(gradQuantized.rows == x.rows && gradQuantized.cols == x.cols, "quantizer backward: gradient shape does not match the last training forward")
        let s = stepMagnitude(step.value[0]), qp = self.qp
        let scale = 1 / (Float(shape.count) * qp).squareRoot()
        let chunks = Parallel.chunkCount(x.data.count)
        var partials = [Float](repeating: 0, count: chunks)
        let dx = x.data.withUnsafeBufferPointer { xs in
            gradQuantized.data.withUnsafeBufferPointer { gs in
                partials.withUnsafeMutableBufferPointer { part in
                    Matrix(rows: x.rows, cols: x.cols) { dxs in
                        Parallel.chunks(xs.count, into: chunks) { chunk, range in
                            var ds: Float = 0
                            for i in range {
                                let v = xs[i] / s, g = gs[i]
                                let inside = v >= 0 && v <= qp
                                dxs[i] = inside ? g : 0
                                ds += g * (inside ? v.rounded(.toNearestOrEven) - v : (v > qp ? qp : 0))
                            }
                            part[chunk] = ds
                        }
                    }
                }
            }
        }
        step.grad[0] += partials.reduce(0, +) * scale * stepSign(step.value[0])
        return dx
    }
}

/// LSQ for weights, signed 2-bit: `s·R(C[−2, 1](W/s))`, step initialized to `2·mean|W|/√Qp` at
/// the first training forward, gradients as ``LSQActivationQuantizer`` with `Qn = −2`, `Qp = 1`.
public final class LSQWeightQuantizer: WeightQuantizer {
    public let count: Int
    public let step: Parameter
    public let initialized: Buffer
    private var latent: [Float] = []
    private let qn: Float = -2, qp: Float = 1

    public init(name: String, count: Int) {
        self.count = count
        step = Parameter(name: name, value: [1], decays: false)
        initialized = Buffer(name: "\(name)_initialized", value: [0])
    }

    public var parameters: [Parameter] { [step] }
    public var buffers: [Buffer] { [initialized] }

    public func quantize(_ latent: [Float], training: Bool) -> [Float] {
        let (codes, scales) = quantizeCodes(latent, training: training)
        return codes.map { $0 * scales[0] }
    }

    /// Codes `R(C[−2, 1](W/s))` and the one scale `s`.
    public func quantizeCodes(_ latent: [Float], training: Bool) -> (codes: [Float], scales: [Float]) {
        if training && initialized.value[0] == 0 {
            var s: Double = 0
            for v in latent { s += Double(abs(v)) }
            step.value[0] = lsqInitialStep(sumOfMagnitudes: s, count: latent.count, qp: qp, floor: 1e-6)
            initialized.value[0] = 1
        }
        let s = stepMagnitude(step.value[0])
        if training { self.latent = latent }
        return (latent.map { Swift.min(Swift.max($0 / s, qn), qp).rounded(.toNearestOrEven) }, [s])
    }

    public func backward(_ gradQuantized: [Float]) -> [Float] {
        precondition(gradQuantized.count == latent.count, "weight quantizer backward before a training forward")
        let s = stepMagnitude(step.value[0])
        let scale = 1 / (Float(count) * qp).squareRoot()
        var dw = [Float](repeating: 0, count: latent.count)
        var ds: Float = 0
        for i in latent.indices {
            let v = latent[i] / s, g = gradQuantized[i]
            if v < qn {
                ds += g * qn
            } else if v > qp {
                ds += g * qp
            } else {
                dw[i] = g
                ds += g * (v.rounded(.toNearestOrEven) - v)
            }
        }
        step.grad[0] += ds * scale * stepSign(step.value[0])
        return dw
    }
}

/// Ternary Weight Networks (Li et al., 2016): per layer, threshold `Δ = 0.7·mean|W|`, codes
/// `sign(W)·[|W| > Δ]`, scale `α` = mean of `|W|` over the weights above `Δ`; the latent weights
/// get the straight-through gradient.
public final class TernaryWeightQuantizer: WeightQuantizer {
    public let outChannels: Int, fanIn: Int

    public init(outChannels: Int, fanIn: Int) {
        self.outChannels = outChannels
        self.fanIn = fanIn
    }

    public func quantize(_ latent: [Float], training: Bool) -> [Float] {
        let (codes, scales) = quantizeCodes(latent, training: training)
        return codes.map { $0 * scales[0] }
    }

    /// Codes `sign(W)·[|W| > Δ]` and the one scale `α`.
    public func quantizeCodes(_ latent: [Float], training: Bool) -> (codes: [Float], scales: [Float]) {
        var total: Double = 0
        for v in latent { total += Double(abs(v)) }
        let delta = Float(0.7 * total / Double(latent.count))
        var kept: Double = 0, n = 0
        for v in latent where abs(v) > delta { kept += Double(abs(v)); n += 1 }
        let scale = n > 0 ? Float(kept / Double(n)) : 0
        return (latent.map { abs($0) > delta ? ($0 > 0 ? 1 : -1) : 0 }, [scale])
    }

    public func backward(_ gradQuantized: [Float]) -> [Float] { gradQuantized }
}

/// LSQ's initial step, `2·mean|v|/√Qp` floored at `floor`, for `count` values whose magnitudes
/// sum to `sumOfMagnitudes`.
func lsqInitialStep(sumOfMagnitudes: Double, count: Int, qp: Float, floor: Float) -> Float {
    Swift.max(Float(2 * sumOfMagnitudes / Double(Swift.max(count, 1))) / qp.squareRoot(), floor)
}
