@testable import FATNNEngine
import FATNNVocabulary
import Testing

/// Float64 re-implementations of every quantizer and of a direct convolution, written from the
/// method spec (`FATNN.md` §2, §3) and the quantizers' documented rules, independently of the
/// engine's code. The gradient checks (`QuantizerGradientTests`, `QuantizedConvGradientTests`)
/// compare the engine's Float forward and backward against them.
///
/// Each quantizer has three parts:
/// - `value`: the forward (the rounded, piecewise constant function the network computes);
/// - `surrogate(θ; θ0)`: its straight-through surrogate around the point `θ0`: equal to `value` at
///   `θ0`, with the rounding held fixed (stop-gradient) and everything else live, so a central
///   finite difference of it is the gradient the engine claims (a finite difference of `value`
///   itself is 0 or undefined);
/// - `grad`: that gradient written out analytically.
/// The checks run the finite difference against `grad` (tight: both are Float64) and the engine
/// against `grad` (Float tolerance).
enum F64 {
    static func clamp(_ v: Double, _ lo: Double, _ hi: Double) -> Double { min(max(v, lo), hi) }
    /// `R`: round half to even.
    static func round(_ v: Double) -> Double { v.rounded(.toNearestOrEven) }
    /// `∂|p|/∂p`.
    static func sign(_ p: Double) -> Double { p < 0 ? -1 : 1 }
    /// Distance from `v` to the nearest of `points`.
    static func distance(_ v: Double, to points: [Double]) -> Double { points.map { abs(v - $0) }.min()! }

    /// A central difference of `f` at 0.
    static func centralDifference(_ h: Double = 1e-6, _ f: (Double) -> Double) -> Double { (f(h) - f(-h)) / (2 * h) }

    /// Mean and unbiased standard deviation.
    static func statistics(_ w: [Double]) -> (mean: Double, std: Double) {
        let mean = w.reduce(0, +) / Double(w.count)
        let ss = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (ss / Double(w.count - 1)).squareRoot())
    }
}

/// An activation quantizer in Float64, elementwise. `p`: the raw learnable parameters (`α = |p|`
/// for FATNN's steps, `s = |p|` for LSQ's step).
enum ActivationReference {
    /// FATNN: `a = Σₖ R(C[0,1]((x − oₖ)·αₖ))`, `o₀ = 0`, `oₖ₊₁ = oₖ + 1/αₖ`.
    case fatnn(steps: Int)
    /// LSQ: `s·R(C[qn,qp](x/s))`.
    case lsq(qn: Double, qp: Double)
    /// `sign(x)`, 0 → +1.
    case binary

    private func ramps(_ x: Double, _ p: [Double]) -> (u: [Double], o: [Double], a: [Double]) {
        let a = p.map(abs)
        var o = [0.0]
        for k in 1..<max(a.count, 1) { o.append(o[k - 1] + 1 / a[k - 1]) }
        return (a.indices.map { (x - o[$0]) * a[$0] }, o, a)
    }

    func value(_ x: Double, _ p: [Double]) -> Double {
        switch self {
        case .fatnn: return ramps(x, p).u.reduce(0) { $0 + F64.round(F64.clamp($1, 0, 1)) }
        case .lsq(let qn, let qp):
            let s = abs(p[0])
            return s * F64.round(F64.clamp(x / s, qn, qp))
        case .binary: return x >= 0 ? 1 : -1
        }
    }

    /// The straight-through surrogate around `(x0, p0)`.
    func surrogate(_ x: Double, _ p: [Double], x0: Double, p0: [Double]) -> Double {
        switch self {
        case .fatnn:
            let smooth = { (x: Double, p: [Double]) in ramps(x, p).u.reduce(0) { $0 + F64.clamp($1, 0, 1) } }
            return value(x0, p0) + smooth(x, p) - smooth(x0, p0)
        case .lsq(let qn, let qp):
            // s·(R(c0) + C(x/s) − c0), c0 = C(x0/s0) held: d/ds = R(v) − v inside, qn or qp outside.
            let s = abs(p[0]), c0 = F64.clamp(x0 / abs(p0[0]), qn, qp)
            return s * (F64.round(c0) + F64.clamp(x / s, qn, qp) - c0)
        case .binary:
            return value(x0, p0) + F64.clamp(x, -1, 1) - F64.clamp(x0, -1, 1)
        }
    }

    /// `(∂q/∂x, ∂q/∂p)`, without LSQ's gradient scale (``parameterScale(valuesPerImage:)``).
    func grad(_ x: Double, _ p: [Double]) -> (dx: Double, dp: [Double]) {
        switch self {
        case .fatnn:
            let (u, o, a) = ramps(x, p)
            let r = u.map { $0 >= 0 && $0 <= 1 ? 1.0 : 0 }
            let dx = a.indices.reduce(0) { $0 + a[$1] * r[$1] }
            let dp = a.indices.map { k in
                var d = r[k] * (x - o[k])
                for j in (k + 1)..<a.count { d += r[j] * a[j] / (a[k] * a[k]) }
                return d * F64.sign(p[k])
            }
            return (dx, dp)
        case .lsq(let qn, let qp):
            let v = x / abs(p[0])
            let inside = v >= qn && v <= qp
            return (inside ? 1 : 0, [(inside ? F64.round(v) - v : (v < qn ? qn : qp)) * F64.sign(p[0])])
        case .binary:
            return (abs(x) <= 1 ? 1 : 0, [])
        }
    }

    /// The factor the engine applies to the parameters' gradients: LSQ's `1/√(N·Qp)` with N the
    /// values per image (the activation quantizer's documented rule), 1 otherwise.
    func parameterScale(valuesPerImage n: Int) -> Double {
        if case .lsq(_, let qp) = self { return 1 / (Double(n) * qp).squareRoot() }
        return 1
    }

    /// Whether `x` is at least `margin` from every rounding tie and clamp edge (so Float and
    /// Float64 agree on the codes and a finite difference stays on one linear piece).
    func isSafe(_ x: Double, _ p: [Double], margin: Double = 0.05) -> Bool {
        switch self {
        case .fatnn: return ramps(x, p).u.allSatisfy { F64.distance($0, to: [0, 0.5, 1]) >= margin }
        case .lsq(let qn, let qp):
            let edges = [qn, qp] + stride(from: qn, to: qp, by: 1).map { $0 + 0.5 }
            return F64.distance(x / abs(p[0]), to: edges) >= margin
        case .binary: return abs(abs(x) - 1) >= margin
        }
    }
}

/// A weight quantizer in Float64, over a whole `outChannels x fanIn` latent tensor.
enum WeightReference {
    /// FATNN, per layer: `ŵ = (W − mean)/std` (unbiased; the statistics constants in the
    /// gradient), codes `R(C[−1,0](ŵ·α0)) + R(C[0,1](ŵ·α1))`.
    case fatnn
    /// TWN: `Δ = 0.7·mean|W|`, `α` = mean |W| above Δ, values `α·sign(W)·[|W| > Δ]`;
    /// straight-through gradient `dL/dW = dL/dWq`.
    case twn
    /// LSQ, signed: `s·R(C[qn,qp](W/s))`.
    case lsq(qn: Double, qp: Double)
    /// `α_o·sign(W)` (0 → +1), `α_o` = mean |W| of output channel `o`; gradient `[|W| ≤ 1]`.
    case binary(fanIn: Int)

    /// TWN's threshold and scale.
    static func twnThreshold(_ w: [Double]) -> (delta: Double, alpha: Double) {
        let delta = 0.7 * w.reduce(0) { $0 + abs($1) } / Double(w.count)
        let kept = w.filter { abs($0) > delta }.map(abs)
        return (delta, kept.isEmpty ? 0 : kept.reduce(0, +) / Double(kept.count))
    }

    func value(_ w: [Double], _ p: [Double]) -> [Double] {
        switch self {
        case .fatnn:
            let (m, sd) = F64.statistics(w)
            return w.map { v in
                let h = (v - m) / sd
                return F64.round(F64.clamp(h * abs(p[0]), -1, 0)) + F64.round(F64.clamp(h * abs(p[1]), 0, 1))
            }
        case .twn:
            let (delta, alpha) = Self.twnThreshold(w)
            return w.map { abs($0) > delta ? ($0 > 0 ? alpha : -alpha) : 0 }
        case .lsq(let qn, let qp):
            return w.map { abs(p[0]) * F64.round(F64.clamp($0 / abs(p[0]), qn, qp)) }
        case .binary(let fanIn):
            return w.indices.map { i in
                let o = i / fanIn
                let alpha = w[(o * fanIn)..<((o + 1) * fanIn)].reduce(0) { $0 + abs($1) } / Double(fanIn)
                return w[i] >= 0 ? alpha : -alpha
            }
        }
    }

    /// The straight-through surrogate around `(w0, p0)`.
    func surrogate(_ w: [Double], _ p: [Double], w0: [Double], p0: [Double]) -> [Double] {
        let q0 = value(w0, p0)
        switch self {
        case .fatnn:
            let (m, sd) = F64.statistics(w0)  // held constant
            let smooth = { (v: Double, p: [Double]) in
                let h = (v - m) / sd
                return F64.clamp(h * abs(p[0]), -1, 0) + F64.clamp(h * abs(p[1]), 0, 1)
            }
            return w.indices.map { q0[$0] + smooth(w[$0], p) - smooth(w0[$0], p0) }
        case .twn:
            return w.indices.map { q0[$0] + w[$0] - w0[$0] }
        case .lsq(let qn, let qp):
            let s = abs(p[0])
            return w.indices.map { i in
                let c0 = F64.clamp(w0[i] / abs(p0[0]), qn, qp)
                return s * (F64.round(c0) + F64.clamp(w[i] / s, qn, qp) - c0)
            }
        case .binary:
            return w.indices.map { q0[$0] + F64.clamp(w[$0], -1, 1) - F64.clamp(w0[$0], -1, 1) }
        }
    }

    /// `(dL/dW, dL/dp)` from `g = dL/dWq`, without LSQ's gradient scale.
    func grad(_ w: [Double], _ p: [Double], _ g: [Double]) -> (dw: [Double], dp: [Double]) {
        switch self {
        case .fatnn:
            let (m, sd) = F64.statistics(w)
            let a0 = abs(p[0]), a1 = abs(p[1])
            var dw = [Double](repeating: 0, count: w.count), d0 = 0.0, d1 = 0.0
            for i in w.indices {
                let h = (w[i] - m) / sd
                let neg = h * a0 >= -1 && h <= 0 ? 1.0 : 0, pos = h >= 0 && h * a1 <= 1 ? 1.0 : 0
                dw[i] = g[i] * (a0 * neg + a1 * pos) / sd
                d0 += g[i] * h * neg
                d1 += g[i] * h * pos
            }
            return (dw, [d0 * F64.sign(p[0]), d1 * F64.sign(p[1])])
        case .twn:
            return (g, [])
        case .lsq(let qn, let qp):
            var dw = [Double](repeating: 0, count: w.count), ds = 0.0
            for i in w.indices {
                let v = w[i] / abs(p[0])
                if v < qn { ds += g[i] * qn } else if v > qp { ds += g[i] * qp } else {
                    dw[i] = g[i]
                    ds += g[i] * (F64.round(v) - v)
                }
            }
            return (dw, [ds * F64.sign(p[0])])
        case .binary:
            return (w.indices.map { abs(w[$0]) <= 1 ? g[$0] : 0 }, [])
        }
    }

    /// The factor the engine applies to the parameters' gradients: LSQ's `1/√(N·Qp)` with N the
    /// number of weights, 1 otherwise.
    func parameterScale(count: Int) -> Double {
        if case .lsq(_, let qp) = self { return 1 / (Double(count) * qp).squareRoot() }
        return 1
    }

    /// Indices of weights within `margin` of a rounding tie, threshold or clamp edge.
    func unsafeIndices(_ w: [Double], _ p: [Double], margin: Double = 0.05) -> [Int] {
        switch self {
        case .fatnn:
            let (m, sd) = F64.statistics(w)
            return w.indices.filter { i in
                let h = (w[i] - m) / sd
                return [h * abs(p[0]), h * abs(p[1])].contains { F64.distance($0, to: [-1, -0.5, 0, 0.5, 1]) < margin }
            }
        case .twn:
            let delta = Self.twnThreshold(w).delta
            return w.indices.filter { abs(abs(w[$0]) - delta) < margin * delta }
        case .lsq(let qn, let qp):
            let edges = [qn, qp] + stride(from: qn, to: qp, by: 1).map { $0 + 0.5 }
            return w.indices.filter { F64.distance(w[$0] / abs(p[0]), to: edges) < margin }
        case .binary:
            return w.indices.filter { abs(abs(w[$0]) - 1) < margin }
        }
    }
}

/// A direct NCHW convolution in Float64 (no bias, stride 1), with its adjoint.
struct Conv64 {
    var input: ImageShape, outChannels: Int, kernel: Int, padding: Int

    var paddedHeight: Int { input.height + 2 * padding }
    var paddedWidth: Int { input.width + 2 * padding }
    var paddedCount: Int { input.channels * paddedHeight * paddedWidth }
    var outHeight: Int { paddedHeight - kernel + 1 }
    var outWidth: Int { paddedWidth - kernel + 1 }
    var outCount: Int { outChannels * outHeight * outWidth }

    /// Index in the padded image of pixel `(c, y, x)` of the unpadded one.
    private func paddedIndex(_ c: Int, _ y: Int, _ x: Int) -> Int {
        (c * paddedHeight + y + padding) * paddedWidth + x + padding
    }

    /// `images` (each `input.count` values) padded with `value`.
    func pad(_ images: [Double], value: Double) -> [Double] {
        let n = images.count / input.count
        var out = [Double](repeating: value, count: n * paddedCount)
        for b in 0..<n {
            for c in 0..<input.channels {
                for y in 0..<input.height {
                    for x in 0..<input.width {
                        out[b * paddedCount + paddedIndex(c, y, x)] = images[b * input.count + (c * input.height + y) * input.width + x]
                    }
                }
            }
        }
        return out
    }

    /// The interior of padded images (drops the padding).
    func unpad(_ padded: [Double]) -> [Double] {
        let n = padded.count / paddedCount
        var out = [Double](repeating: 0, count: n * input.count)
        for b in 0..<n {
            for c in 0..<input.channels {
                for y in 0..<input.height {
                    for x in 0..<input.width {
                        out[b * input.count + (c * input.height + y) * input.width + x] = padded[b * paddedCount + paddedIndex(c, y, x)]
                    }
                }
            }
        }
        return out
    }

    private func forEachTap(_ n: Int, _ body: (_ out: Int, _ inp: Int, _ w: Int) -> Void) {
        let k = kernel, cin = input.channels
        for b in 0..<n {
            for co in 0..<outChannels {
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        let o = b * outCount + (co * outHeight + oy) * outWidth + ox
                        for ci in 0..<cin {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    body(o, b * paddedCount + (ci * paddedHeight + oy + ky) * paddedWidth + ox + kx,
                                         ((co * cin + ci) * k + ky) * k + kx)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The convolution of already padded images with weights `Cout x Cin x k x k`.
    func forward(padded x: [Double], weights w: [Double]) -> [Double] {
        let n = x.count / paddedCount
        var y = [Double](repeating: 0, count: n * outCount)
        forEachTap(n) { o, i, j in y[o] += x[i] * w[j] }
        return y
    }

    /// `(dL/dx_padded, dL/dw)` for `dL/dy = r`.
    func backward(padded x: [Double], weights w: [Double], _ r: [Double]) -> (dx: [Double], dw: [Double]) {
        let n = x.count / paddedCount
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        forEachTap(n) { o, i, j in
            dx[i] += r[o] * w[j]
            dw[j] += r[o] * x[i]
        }
        return (dx, dw)
    }
}

/// `|a − b| ≤ rel·|b| + abs`: records each miss with `what`, returns the number of misses.
@discardableResult
func expectClose(_ a: [Double], _ b: [Double], rel: Double, abs absolute: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Int {
    #expect(a.count == b.count, "\(what): \(a.count) vs \(b.count) values", sourceLocation: sourceLocation)
    let misses = zip(a, b).enumerated().filter { _, p in !(abs(p.0 - p.1) <= rel * abs(p.1) + absolute) }
    let missed = misses.count
    #expect(missed == 0, "\(what): \(misses.count) of \(a.count) off, first \(misses.prefix(4).map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" }.joined(separator: ", "))",
            sourceLocation: sourceLocation)
    return misses.count
}
