/// Reductions over contiguous `Float` runs with several independent SIMD accumulators.
///
/// A plain `for` loop that sums floats runs at one addition per add-latency (the compiler may not
/// reorder floating-point sums); these break the chain into 16 lanes. The order of additions is
/// fixed for a given `count`, so results are deterministic.
enum VectorMath {
    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// `Σ x[i]`.
    /// - Complexity: O(count).
    static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var a = SIMD8<Float>(), b = SIMD8<Float>()
        var i = 0
        while i + 16 <= count {
            a += load(x, i)
            b += load(x, i + 8)
            i += 16
        }
        var s = (a + b).sum()
        while i < count { s += x[i]; i += 1 }
        return s
    }

    /// `Σ (x[i] - mean)²`.
    /// - Complexity: O(count).
    static func sumSquaredDeviations(_ x: UnsafePointer<Float>, _ count: Int, mean: Float) -> Float {
        var a = SIMD8<Float>(), b = SIMD8<Float>()
        let m = SIMD8<Float>(repeating: mean)
        var i = 0
        while i + 16 <= count {
            let d0 = load(x, i) - m, d1 = load(x, i + 8) - m
            a += d0 * d0
            b += d1 * d1
            i += 16
        }
        var s = (a + b).sum()
        while i < count { let d = x[i] - mean; s += d * d; i += 1 }
        return s
    }

    /// `(Σ g[i], Σ g[i]·h[i])` with `h[i] = (x[i] - center)·scale` computed on the fly, and
    /// `g[i]` taken as 0 where `mask[i] ≤ 0` if there is a mask (a fused ReLU's output).
    /// - Complexity: O(count).
    static func sumAndDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, center: Float, scale: Float,
                          mask: UnsafePointer<Float>?) -> (Float, Float) {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), d0 = SIMD8<Float>(), d1 = SIMD8<Float>()
        let m = SIMD8<Float>(repeating: center), s = SIMD8<Float>(repeating: scale), zero = SIMD8<Float>()
        var i = 0
        while i + 16 <= count {
            var g0 = load(g, i), g1 = load(g, i + 8)
            if let mask {
                g0.replace(with: zero, where: load(mask, i) .<= zero)
                g1.replace(with: zero, where: load(mask, i + 8) .<= zero)
            }
            a0 += g0
            a1 += g1
            d0 += g0 * ((load(x, i) - m) * s)
            d1 += g1 * ((load(x, i + 8) - m) * s)
            i += 16
        }
        var sum = (a0 + a1).sum(), d = (d0 + d1).sum()
        while i < count {
            let gi: Float = mask.map { $0[i] > 0 ? g[i] : 0 } ?? g[i]
            sum += gi
            d += gi * ((x[i] - center) * scale)
            i += 1
        }
        return (sum, d)
    }
}
