/// SIMD kernels of the FATNN activation quantizer: the same arithmetic as the generic loops in
/// ``FATNNActivationQuantizer`` (`(x − oₖ)·αₖ > 0.5` for a code step, `0 ≤ uₖ ≤ 1` for a ramp),
/// eight values at a time. Two ramps (ternary) in one pass; the 2-bit variant adds its third ramp
/// in a second pass (``addRamp(_:_:_:o:a:)``, ``addRampGradient(_:_:_:_:o:a:)``).
enum TernaryActivationKernel {
    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Codes of `count` values with ramps `(o0, a0)`, `(o1, a1)`.
    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int,
                        o0: Float, a0: Float, o1: Float, a1: Float) {
        let (O0, A0, O1, A1) = (SIMD8(repeating: o0), SIMD8(repeating: a0), SIMD8(repeating: o1), SIMD8(repeating: a1))
        let half = SIMD8<Float>(repeating: 0.5), zero = SIMD8<Float>(), one = SIMD8<Float>(repeating: 1)
        var i = 0
        while i + 8 <= count {
            let v = load(x, i)
            let c = zero.replacing(with: one, where: (v - O0) * A0 .> half) + zero.replacing(with: one, where: (v - O1) * A1 .> half)
            store(c, y, i)
            i += 8
        }
        while i < count {
            let v = x[i]
            y[i] = ((v - o0) * a0 > 0.5 ? 1 : 0) + ((v - o1) * a1 > 0.5 ? 1 : 0)
            i += 1
        }
    }

    /// Input gradients of `count` values, and the sums `(Σ g·∂a/∂α0, Σ g·∂a/∂α1)` over them.
    static func backward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ count: Int,
                         o0: Float, a0: Float, o1: Float, a1: Float) -> (Float, Float) {
        let c01 = a1 / (a0 * a0)
        let (O0, A0, O1, A1, C01) = (SIMD8(repeating: o0), SIMD8(repeating: a0), SIMD8(repeating: o1), SIMD8(repeating: a1),
                                     SIMD8(repeating: c01))
        let zero = SIMD8<Float>(), one = SIMD8<Float>(repeating: 1)
        // Two sets of sums, so consecutive vectors do not wait on each other's additions.
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        @inline(__always) func step(_ i: Int, _ a: inout SIMD8<Float>, _ b: inout SIMD8<Float>) {
            let v = load(x, i), gv = load(g, i)
            let d0 = v - O0, u0 = d0 * A0, d1 = v - O1, u1 = d1 * A1
            let r0 = (u0 .>= zero) .& (u0 .<= one), r1 = (u1 .>= zero) .& (u1 .<= one)
            store(gv * (zero.replacing(with: A0, where: r0) + zero.replacing(with: A1, where: r1)), dx, i)
            a += gv * (zero.replacing(with: d0, where: r0) + zero.replacing(with: C01, where: r1))
            b += gv * zero.replacing(with: d1, where: r1)
        }
        var i = 0
        while i + 16 <= count {
            step(i, &s0, &s1)
            step(i + 8, &s2, &s3)
            i += 16
        }
        if i + 8 <= count {
            step(i, &s0, &s1)
            i += 8
        }
        var t0 = (s0 + s2).sum(), t1 = (s1 + s3).sum()
        while i < count {
            let v = x[i], gi = g[i]
            let d0 = v - o0, u0 = d0 * a0, d1 = v - o1, u1 = d1 * a1
            let r0: Float = u0 >= 0 && u0 <= 1 ? 1 : 0, r1: Float = u1 >= 0 && u1 <= 1 ? 1 : 0
            dx[i] = gi * (a0 * r0 + a1 * r1)
            t0 += gi * (r0 * d0 + r1 * c01)
            t1 += gi * (r1 * d1)
            i += 1
        }
        return (t0, t1)
    }

    /// Adds one more ramp's code step `[(x − o)·a > 0.5]` to `y`.
    static func addRamp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, o: Float, a: Float) {
        let (O, A) = (SIMD8(repeating: o), SIMD8(repeating: a))
        let half = SIMD8<Float>(repeating: 0.5), zero = SIMD8<Float>(), one = SIMD8<Float>(repeating: 1)
        var i = 0
        while i + 8 <= count {
            store(load(UnsafePointer(y), i) + zero.replacing(with: one, where: (load(x, i) - O) * A .> half), y, i)
            i += 8
        }
        while i < count {
            if (x[i] - o) * a > 0.5 { y[i] += 1 }
            i += 1
        }
    }

    /// Adds one more ramp's `g·a·r` to `dx` (`r = [0 ≤ (x − o)·a ≤ 1]`) and returns
    /// `(Σ g·r, Σ g·r·(x − o))`, from which the caller forms every step's gradient.
    static func addRampGradient(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ count: Int,
                                o: Float, a: Float) -> (Float, Float) {
        let (O, A) = (SIMD8(repeating: o), SIMD8(repeating: a))
        let zero = SIMD8<Float>(), one = SIMD8<Float>(repeating: 1)
        var sr = SIMD8<Float>(), sd = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            let gv = load(g, i), d = load(x, i) - O, u = d * A
            let r = (u .>= zero) .& (u .<= one)
            store(load(UnsafePointer(dx), i) + gv * zero.replacing(with: A, where: r), dx, i)
            sr += zero.replacing(with: gv, where: r)
            sd += zero.replacing(with: gv * d, where: r)
            i += 8
        }
        var tr = sr.sum(), td = sd.sum()
        while i < count {
            let d = x[i] - o, u = d * a
            if u >= 0 && u <= 1 {
                dx[i] += g[i] * a
                tr += g[i]
                td += g[i] * d
            }
            i += 1
        }
        return (tr, td)
    }
}
