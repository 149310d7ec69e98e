import CFloatKernels

/// SIMD kernels of the FATNN activation quantizer: the same arithmetic as the generic loops in
/// ``FATNNActivationQuantizer`` (`(x − oₖ)·αₖ > 0.5` for a code step, `0 ≤ uₖ ≤ 1` for a ramp),
/// eight values at a time. Two ramps (ternary) in one pass, in C (`ternary_activation.c`, compiled
/// for AVX2 and baseline x86-64); the 2-bit variant adds its third ramp in a second pass
/// (``addRamp(_:_:_:o:a:)``, ``addRampGradient(_:_:_:_:o:a:)``).
enum TernaryActivationKernel {
    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Codes of `count` values with ramps `(o0, a0)`, `(o1, a1)` (`fk_ternary_activation_forward`).
    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int,
                        o0: Float, a0: Float, o1: Float, a1: Float) {
        fk_ternary_activation_forward(x, y, count, o0, a0, o1, a1)
    }

    /// Input gradients of `count` values, and the sums `(Σ g·∂a/∂α0, Σ g·∂a/∂α1)` over them
    /// (`fk_ternary_activation_backward`).
    static func backward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ count: Int,
                         o0: Float, a0: Float, o1: Float, a1: Float) -> (Float, Float) {
        var t0: Float = 0, t1: Float = 0
        fk_ternary_activation_backward(x, g, dx, count, o0, a0, o1, a1, &t0, &t1)
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
