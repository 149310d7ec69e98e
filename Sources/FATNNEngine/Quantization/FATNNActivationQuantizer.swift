/// The FATNN activation quantizer (`FATNN.md` §2): codes `a = Σₖ R(C[0,1]((x − oₖ)·αₖ))` with
/// `o₀ = 0`, `oₖ₊₁ = oₖ + 1/αₖ`, so thresholds `tₖ = oₖ + 0.5/αₖ` are learned non-uniformly while
/// the levels stay the integers `0...steps`.
///
/// `steps` = 2 gives ternary codes {0,1,2}; 3 gives the 2-bit variant {0,1,2,3}. Each `αₖ = |pₖ|`
/// (floored at 1e-8) is learned per layer, or per input channel. Gradients are the spec's
/// straight-through and clamp rules: with `uₖ = (x − oₖ)·αₖ` and `rₖ = [0 ≤ uₖ ≤ 1]`,
/// `∂a/∂x = Σₖ αₖ·rₖ` and `∂a/∂αₖ = rₖ·(x − oₖ) + Σ_{j>k} rⱼ·αⱼ/αₖ²`.
public final class FATNNActivationQuantizer: ActivationQuantizer {
    /// Shape of the quantized input (one image).
    public let shape: ImageShape
    /// Ramps: 2 for ternary, 3 for 2-bit.
    public let steps: Int
    public let perChannel: Bool
    /// Raw step parameters `p`, `[group][step]`; `α = |p|`.
    public let alpha: Parameter
    /// With initialization from data: 1 once the steps have been set from a training batch
    /// (stored with the model, so a resumed or loaded network is not initialized again).
    public let initialized: Buffer?
    private var cached = Matrix(rows: 0, cols: 0)

    /// - Parameters:
    ///   - initial: every `α` at the start.
    ///   - fromData: set the steps from the first training batch instead (see
    ///     ``initializeFromData(_:)``); `initial` holds until then.
    public init(name: String, shape: ImageShape, steps: Int, perChannel: Bool, initial: Float, fromData: Bool = false) {
        precondition(steps >= 1 && initial > 0)
        self.shape = shape
        self.steps = steps
        self.perChannel = perChannel
        alpha = Parameter(name: name, value: .init(repeating: initial, count: (perChannel ? shape.channels : 1) * steps), decays: false)
        initialized = fromData ? Buffer(name: "\(name)_initialized", value: [0]) : nil
    }

    public var parameters: [Parameter] { [alpha] }
    public var buffers: [Buffer] { initialized.map { [$0] } ?? [] }
    public var codes: [Int] { Array(0...steps) }

    /// Per group: `(α, o)` for every step.
    func ramps() -> (alphas: [Float], offsets: [Float]) {
        var alphas = [Float](), offsets = [Float]()
        let groups = alpha.value.count / steps
        for g in 0..<groups {
            var o: Float = 0
            for k in 0..<steps {
                let a = stepMagnitude(alpha.value[g * steps + k])
                alphas.append(a)
                offsets.append(o)
                o += 1 / a
            }
        }
        return (alphas, offsets)
    }

    /// A ternary quantizer's ramps as one array, `o0, α0, o1, α1` in turn, each with one value per
    /// group (channel, or the layer): the layout the packed producers read.
    func ternaryRampTable() -> [Float] {
        precondition(steps == 2, "ternaryRampTable: only ternary activation quantizers")
        let (alphas, offsets) = ramps()
        let groups = alphas.count / 2
        return [offsets, alphas, offsets, alphas].enumerated().flatMap { i, v in (0..<groups).map { v[2 * $0 + i / 2] } }
    }

    /// The learned thresholds `tₖ = oₖ + 0.5/αₖ` of group `group` (a code is the number of
    /// thresholds strictly below `x`).
    public func thresholds(group: Int = 0) -> [Float] {
        let (a, o) = ramps()
        return (0..<steps).map { o[group * steps + $0] + 0.5 / a[group * steps + $0] }
    }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        precondition(x.cols == shape.count, "quantizer expects \(shape), got \(x.cols) values per row")
        if training, let flag = initialized, flag.value[0] == 0 {
            initializeFromData(x)
            flag.value[0] = 1
        }
        let (alphas, offsets) = ramps()
        let steps = self.steps, c = shape.channels, p = shape.plane, perChannel = self.perChannel
        let y = x.data.withUnsafeBufferPointer { xs in
            Matrix(rows: x.rows, cols: x.cols) { ys in
                Parallel.chunks(x.rows) { _, rows in
                    if steps == 2 || steps == 3 {
                        for r in rows {
                            for ch in 0..<c {
                                let g = (perChannel ? ch : 0) * steps, o = (r * c + ch) * p
                                TernaryActivationKernel.forward(xs.baseAddress! + o, ys.baseAddress! + o, p, o0: offsets[g], a0: alphas[g],
                                                                o1: offsets[g + 1], a1: alphas[g + 1])
                                if steps == 3 {
                                    TernaryActivationKernel.addRamp(xs.baseAddress! + o, ys.baseAddress! + o, p, o: offsets[g + 2], a: alphas[g + 2])
                                }
                            }
                        }
                        return
                    }
                    for r in rows {
                        for ch in 0..<c {
                            let g = (perChannel ? ch : 0) * steps, o = (r * c + ch) * p
                            for q in o..<(o + p) {
                                let v = xs[q]
                                var a: Float = 0
                                // R(C[0,1](u)) is 1 exactly when u > 0.5 (round half to even).
                                for k in 0..<steps where (v - offsets[g + k]) * alphas[g + k] > 0.5 { a += 1 }
                                ys[q] = a
                            }
                        }
                    }
                }
            }
        }
        if training { cached = x }
        return y
    }

    /// Sets every step of a group to `α = 1/s`, with `s` LSQ's initial step over the group's values
    /// in `x` (``lsqInitialStep(sumOfMagnitudes:count:qp:floor:)``, `Qp` = `steps`): the thresholds
    /// then start at `0.5·s, 1.5·s, …`, where the LSQ baselines (`tnn`, `lsq2`) start their uniform
    /// thresholds on the same batch. Learning then moves each one on its own.
    public func initializeFromData(_ x: Matrix) {
        let groups = alpha.value.count / steps, c = shape.channels, p = shape.plane
        var sums = [Double](repeating: 0, count: groups), counts = [Int](repeating: 0, count: groups)
        x.data.withUnsafeBufferPointer { xs in
            for r in 0..<x.rows {
                for ch in 0..<c {
                    let g = perChannel ? ch : 0, o = (r * c + ch) * p
                    var s: Double = 0
                    for q in o..<(o + p) { s += Double(abs(xs[q])) }
                    sums[g] += s
                    counts[g] += p
                }
            }
        }
        for g in 0..<groups {
            let s = lsqInitialStep(sumOfMagnitudes: sums[g], count: counts[g], qp: Float(steps), floor: 1e-4)
            for k in 0..<steps { alpha.value[g * steps + k] = 1 / s }
        }
    }

    public func backward(_ gradQuantized: Matrix) -> Matrix {
        let x = cached
        precondition(gradQuantized.rows == x.rows && gradQuantized.cols == x.cols, "quantizer backward: gradient shape does not match the last training forward")
        let (alphas, offsets) = ramps()
        let steps = self.steps, c = shape.channels, p = shape.plane, perChannel = self.perChannel
        let size = alpha.value.count
        let chunks = Parallel.chunkCount(x.rows)
        var partials = [Float](repeating: 0, count: chunks * size)
        let dx = x.data.withUnsafeBufferPointer { xs in
            gradQuantized.data.withUnsafeBufferPointer { gs in
                partials.withUnsafeMutableBufferPointer { part in
                    Matrix(rows: x.rows, cols: x.cols) { dxs in
                        Parallel.chunks(x.rows, into: chunks) { chunk, rows in
                            let d = part.baseAddress! + chunk * size
                            if steps == 2 || steps == 3 {
                                for row in rows {
                                    for ch in 0..<c {
                                        let g = (perChannel ? ch : 0) * steps, o = (row * c + ch) * p
                                        let (s0, s1) = TernaryActivationKernel.backward(
                                            xs.baseAddress! + o, gs.baseAddress! + o, dxs.baseAddress! + o, p,
                                            o0: offsets[g], a0: alphas[g], o1: offsets[g + 1], a1: alphas[g + 1])
                                        d[g] += s0
                                        d[g + 1] += s1
                                        if steps == 3 {
                                            // The third ramp's offset is 1/α0 + 1/α1: it adds to both earlier steps' gradients.
                                            let (a0, a1, a2) = (alphas[g], alphas[g + 1], alphas[g + 2])
                                            let (sr, sd) = TernaryActivationKernel.addRampGradient(
                                                xs.baseAddress! + o, gs.baseAddress! + o, dxs.baseAddress! + o, p, o: offsets[g + 2], a: a2)
                                            d[g] += sr * a2 / (a0 * a0)
                                            d[g + 1] += sr * a2 / (a1 * a1)
                                            d[g + 2] += sd
                                        }
                                    }
                                }
                                return
                            }
                            var r = [Float](repeating: 0, count: steps), dev = [Float](repeating: 0, count: steps)
                            for row in rows {
                                for ch in 0..<c {
                                    let g = (perChannel ? ch : 0) * steps, o = (row * c + ch) * p
                                    for q in o..<(o + p) {
                                        let v = xs[q], gq = gs[q]
                                        var slope: Float = 0
                                        for k in 0..<steps {
                                            dev[k] = v - offsets[g + k]
                                            let u = dev[k] * alphas[g + k]
                                            r[k] = u >= 0 && u <= 1 ? 1 : 0
                                            slope += alphas[g + k] * r[k]
                                        }
                                        dxs[q] = gq * slope
                                        if gq == 0 { continue }
                                        for k in 0..<steps {
                                            var s = r[k] * dev[k]
                                            let ak = alphas[g + k]
                                            for j in (k + 1)..<steps { s += r[j] * alphas[g + j] / (ak * ak) }
                                            d[g + k] += gq * s
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for t in 0..<chunks {
            for i in 0..<size { alpha.grad[i] += partials[t * size + i] * stepSign(alpha.value[i]) }
        }
        return dx
    }
}
