@testable import FATNNEngine
import Testing

/// The baseline quantizers (TWN, LSQ, binary) against Float64 references written in
/// `Float64Reference.swift` (issue 18 §4): forward values exactly or to Float rounding, and the
/// gradients each one documents, checked against both the analytic rule and a central finite
/// difference of its straight-through surrogate.
@Suite struct QuantizerGradientTests {
    private func gaussians(_ n: Int, _ scale: Float, _ rng: inout RandomSource) -> [Float] {
        (0..<n).map { _ in rng.nextGaussian() * scale }
    }

    // MARK: (a) Ternary Weight Networks

    /// Δ = 0.7·mean|W| and α = mean of |W| over |W| > Δ, per layer, checked to Float rounding.
    ///
    /// Four probe weights sit at `±Δ·(1 ± 1e-4)` of the Float64 Δ: their magnitudes sum to 4Δ,
    /// so they leave Δ where it was (`Δ = 0.7·(S + 4Δ)/n` solves to `0.7·S/(n − 2.8)`). The ones
    /// just above must be kept and the ones just below dropped, which pins the engine's Δ to
    /// 1e-4 relative (a factor 0.69 or 0.71, or `≥` against `>` at a bigger margin, fails).
    @Test func twnThresholdAndScaleMatchFloat64() {
        var rng = RandomSource(seed: 41)
        let n = 4 * 27, probes = [5: 1 + 1e-4, 33: -(1 - 1e-4), 60: -(1 + 1e-4), 101: 1 - 1e-4]
        var w = gaussians(n, 0.3, &rng)
        var delta = 0.0
        for _ in 0..<100 {
            let s = w.indices.filter { probes[$0] == nil }.reduce(0.0) { $0 + abs(Double(w[$1])) }
            delta = 0.7 * s / (Double(n) - 2.8)
            for (i, f) in probes { w[i] = Float(delta * f) }
            // Away from the probes, keep every weight 5% from Δ (Float and Float64 then agree).
            let near = w.indices.filter { probes[$0] == nil && abs(abs(Double(w[$0])) - delta) < 0.05 * delta }
            if near.isEmpty { break }
            for i in near { w[i] = rng.nextGaussian() * 0.3 }
        }
        let wd = w.map(Double.init)
        let (refDelta, refAlpha) = WeightReference.twnThreshold(wd)
        #expect(abs(refDelta - delta) <= 1e-7 * delta, "the probes leave Δ in place: \(refDelta) vs \(delta)")
        #expect(WeightReference.twnThreshold(wd.indices.filter { probes[$0] == nil }.map { wd[$0] }).delta != refDelta, "the probes matter")

        let q = TernaryWeightQuantizer(outChannels: 4, fanIn: 27)
        let out = q.quantize(w, training: true).map(Double.init)
        let ref = WeightReference.twn.value(wd, [])
        // Codes exactly; the one scale to Float rounding.
        let codes = out.map { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }, refCodes = ref.map { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }
        #expect(codes == refCodes, "codes differ at \(codes.indices.filter { codes[$0] != refCodes[$0] })")
        for (i, f) in probes { #expect(codes[i] == (abs(f) > 1 ? (f > 0 ? 1 : -1) : 0), "probe \(i) at \(f)·Δ: code \(codes[i])") }
        let scales = Set(out.filter { $0 != 0 }.map(abs))
        #expect(scales.count == 1, "one scale per layer: \(scales)")
        if let alpha = scales.first { #expect(abs(alpha - refAlpha) <= 1e-6 * refAlpha, "α \(alpha) vs Float64 \(refAlpha)") }
        #expect(codes.contains(1) && codes.contains(-1) && codes.contains(0))
    }

    /// TWN's documented gradient is straight-through: `dL/dW = dL/dWq`, for every weight (also
    /// the zeroed ones and |W| > 1: no clipping). This is not the true derivative: `Wq` is
    /// piecewise constant in W except through α, which moves with every kept weight
    /// (`∂α/∂Wᵢ = sign(Wᵢ)/n_kept`), and TWN does not propagate that. So the check is of the
    /// claim (identity), against the surrogate `Wq0 + (W − W0)` by finite difference.
    @Test func twnGradientIsStraightThrough() {
        var rng = RandomSource(seed: 42)
        var w = gaussians(2 * 9, 0.6, &rng)
        w[3] = 1.7  // beyond any clipping range
        w[4] = 0.01  // zeroed
        let g = gaussians(w.count, 1, &rng)
        let q = TernaryWeightQuantizer(outChannels: 2, fanIn: 9)
        _ = q.quantize(w, training: true)
        let dw = q.backward(g)
        #expect(dw == g)
        let wd = w.map(Double.init), gd = g.map(Double.init)
        let fd = wd.indices.map { i in
            F64.centralDifference { h in
                var v = wd
                v[i] += h
                return zip(WeightReference.twn.surrogate(v, [], w0: wd, p0: []), gd).reduce(0) { $0 + $1.0 * $1.1 }
            }
        }
        expectClose(dw.map(Double.init), fd, rel: 1e-6, abs: 1e-9, "TWN dL/dW against the surrogate")
    }

    // MARK: (b) LSQ

    /// Checks an LSQ quantizer's forward, input gradient and step gradient against Float64:
    /// `∂/∂s = Σ g·(R(v) − v)` inside `[qn, qp]`, `qn`/`qp` outside, times `scale·sign(p)`, both as
    /// the formula and as the finite difference of `f(s) = s·(R(c) + C(x/s) − c)`, `c = C(x/s0)`
    /// held (the STE surrogate); `∂/∂x` as `[qn ≤ x/s ≤ qp]` and its finite difference.
    private func checkLSQ(x: [Float], p: Float, qn: Double, qp: Double, scale: Double, values: [Float], dx: [Float],
                          stepGrad: Float, upstream g: [Float]) {
        let ref = ActivationReference.lsq(qn: qn, qp: qp), pd = [Double(p)], s = Double(abs(p))
        var formula = 0.0, fd = 0.0
        for i in x.indices {
            let xi = Double(x[i]), gi = Double(g[i])
            let expected = ref.value(xi, pd)
            #expect(abs(Double(values[i]) - expected) <= 1e-6 * s, "value \(i): \(values[i]) vs \(expected)")
            #expect((Double(values[i]) / s).rounded() == F64.round(F64.clamp(xi / s, qn, qp)), "code \(i)")
            let v = xi / s, inside = v >= qn && v <= qp
            formula += gi * (inside ? F64.round(v) - v : (v < qn ? qn : qp))
            fd += gi * F64.centralDifference { h in ref.surrogate(xi, [s + h], x0: xi, p0: [s]) }
            let fdx = F64.centralDifference { h in ref.surrogate(xi + h, pd, x0: xi, p0: pd) }
            #expect(abs(fdx - (inside ? 1 : 0)) < 1e-6, "surrogate ∂/∂x \(i)")
            #expect(Double(dx[i]) == (inside ? gi : 0), "∂/∂x \(i): \(dx[i])")
            #expect(abs(ref.grad(xi, pd).dp[0] * F64.sign(Double(p)) - (inside ? F64.round(v) - v : (v < qn ? qn : qp))) < 1e-12)
        }
        #expect(abs(formula - fd) <= 1e-6 * max(1, abs(formula)), "formula \(formula) vs finite difference \(fd)")
        let expected = formula * scale * F64.sign(Double(p))
        #expect(abs(Double(stepGrad) - expected) <= 1e-4 * max(1, abs(expected)), "step gradient \(stepGrad) vs \(expected)")
    }

    /// Values `v = x/s` spread over `[qn − 1.5, qp + 1.5]`, each 0.05 from every tie and clamp edge.
    private func lsqInputs(_ n: Int, step s: Float, qn: Double, qp: Double, _ rng: inout RandomSource) -> [Float] {
        let ref = ActivationReference.lsq(qn: qn, qp: qp)
        return (0..<n).map { _ in
            while true {
                let x = (Float(qn) - 1.5 + rng.nextUnitFloat() * Float(qp - qn + 3)) * s
                if ref.isSafe(Double(x), [Double(s)]) { return x }
            }
        }
    }

    /// Signed 2-bit weights (`Qn = −2`, `Qp = 1`), grad scale `1/√(N·Qp)` with N the weight count;
    /// a negative raw step checks the chain through `s = |p|`.
    @Test(arguments: [Float(0.13), -0.13])
    func lsqWeightStepGradient(p: Float) {
        var rng = RandomSource(seed: 43)
        let n = 54
        let w = lsqInputs(n, step: abs(p), qn: -2, qp: 1, &rng), g = gaussians(n, 1, &rng)
        let q = LSQWeightQuantizer(name: "w", count: n)
        q.step.value = [p]
        q.initialized.value = [1]
        let values = q.quantize(w, training: true)
        let dw = q.backward(g)
        checkLSQ(x: w, p: p, qn: -2, qp: 1, scale: 1 / Double(n).squareRoot(), values: values, dx: dw,
                 stepGrad: q.step.grad[0], upstream: g)
    }

    /// Unsigned 4-level activations (`Qp = 3`) over a batch of 3 images; the grad scale's N is the
    /// values per image (the quantizer's documented rule), not the batch total.
    @Test(arguments: [Float(0.3), -0.3])
    func lsqActivationStepGradient(p: Float) {
        var rng = RandomSource(seed: 44)
        let shape = ImageShape(channels: 2, height: 3, width: 3), rows = 3
        let x = lsqInputs(rows * shape.count, step: abs(p), qn: 0, qp: 3, &rng), g = gaussians(rows * shape.count, 1, &rng)
        let q = LSQActivationQuantizer(name: "a", shape: shape, levels: 4)
        q.step.value = [p]
        q.initialized.value = [1]
        let y = q.forward(Matrix(rows: rows, cols: shape.count, data: x), training: true)
        let dx = q.backward(Matrix(rows: rows, cols: shape.count, data: g))
        checkLSQ(x: x, p: p, qn: 0, qp: 3, scale: 1 / (Double(shape.count) * 3).squareRoot(), values: y.data, dx: dx.data,
                 stepGrad: q.step.grad[0], upstream: g)
    }

    // MARK: (c) binary

    /// `sign(x)` with 0 → +1, gradient `[|x| ≤ 1]·g` (inclusive at ±1).
    @Test func binaryActivationForwardAndStraightThrough() {
        var rng = RandomSource(seed: 45)
        let edges: [Float] = [0, -0.0, 1, -1, 1.0001, -1.0001, 0.9999, -0.9999, 3, -3, 1e-30, -1e-30]
        let x = edges + gaussians(36 - edges.count, 1.2, &rng), g = gaussians(36, 1, &rng)
        let shape = ImageShape(channels: 1, height: 3, width: 6)
        let q = BinaryActivationQuantizer(shape: shape)
        let y = q.forward(Matrix(rows: 2, cols: 18, data: x), training: true)
        let dx = q.backward(Matrix(rows: 2, cols: 18, data: g))
        let ref = ActivationReference.binary
        for i in x.indices {
            let xi = Double(x[i])
            #expect(Double(y.data[i]) == ref.value(xi, []), "sign(\(x[i])) = \(y.data[i])")
            #expect(Double(dx.data[i]) == ref.grad(xi, []).dx * Double(g[i]), "∂/∂x at \(x[i]): \(dx.data[i])")
            if abs(abs(xi) - 1) > 1e-3 {
                let fd = F64.centralDifference { h in ref.surrogate(xi + h, [], x0: xi, p0: []) }
                #expect(abs(fd - ref.grad(xi, []).dx) < 1e-6, "surrogate at \(x[i])")
            }
        }
        #expect(y.data[0] == 1 && y.data[1] == 1, "sign(0) = sign(−0) = +1")
    }

    /// `α_o·sign(W)` with `α_o = mean|W|` of output channel o (0 → +α), gradient `[|W| ≤ 1]·g`.
    @Test func binaryWeightsForwardAndStraightThrough() {
        var rng = RandomSource(seed: 46)
        let fanIn = 12
        var w = gaussians(3 * fanIn, 0.8, &rng)
        for (i, v) in [0: 0, 1: 1, 2: -1, 13: 1.5, 14: -2, 25: 0.9999, 26: -1.0001] as [Int: Float] { w[i] = v }
        let g = gaussians(w.count, 1, &rng)
        let q = BinaryWeightQuantizer(outChannels: 3, fanIn: fanIn)
        let out = q.quantize(w, training: true)
        let dw = q.backward(g)
        let ref = WeightReference.binary(fanIn: fanIn), wd = w.map(Double.init)
        let expected = ref.value(wd, [])
        expectClose(out.map(Double.init), expected, rel: 1e-6, abs: 0, "binary weights")
        for o in 0..<3 {
            let channel = out[(o * fanIn)..<((o + 1) * fanIn)]
            #expect(Set(channel.map(abs)).count == 1, "one scale in channel \(o)")
            #expect(zip(channel, w[(o * fanIn)..<((o + 1) * fanIn)]).allSatisfy { ($0 > 0) == ($1 >= 0) }, "signs of channel \(o)")
        }
        #expect(out[0] > 0, "sign(0) = +1")
        #expect(dw.map(Double.init) == ref.grad(wd, [], g.map(Double.init)).dw)
        #expect(dw[1] == g[1] && dw[2] == g[2] && dw[13] == 0 && dw[14] == 0 && dw[25] == g[25] && dw[26] == 0, "clip inclusive at ±1")
    }
}
