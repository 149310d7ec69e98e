import CFloatKernels

/// Reductions over contiguous `Float` runs (BatchNorm's statistics and gradient sums), in C
/// (`Sources/CFloatKernels/reductions.c`): 16 independent lanes instead of one chain of additions
/// at the add latency, compiled for AVX2 and baseline x86-64 and picked at load time. The order of
/// additions is fixed for a given `count`, so results are deterministic and the same on every CPU.
enum VectorMath {
    /// `Σ x[i]`.
    /// - Complexity: O(count).
    static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float { fk_sum(x, count) }

    /// `Σ (x[i] - mean)²`.
    /// - Complexity: O(count).
    static func sumSquaredDeviations(_ x: UnsafePointer<Float>, _ count: Int, mean: Float) -> Float {
        fk_sum_squared_deviations(x, count, mean)
    }

    /// `(Σ g[i], Σ g[i]·h[i])` with `h[i] = (x[i] - center)·scale` computed on the fly, and
    /// `g[i]` taken as 0 where `mask[i]` is not positive if there is a mask (a fused ReLU's output).
    /// - Complexity: O(count).
    static func sumAndDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, center: Float, scale: Float,
                          mask: UnsafePointer<Float>?) -> (Float, Float) {
        var sum: Float = 0, dot: Float = 0
        fk_sum_and_dot(g, x, count, center, scale, mask, &sum, &dot)
        return (sum, dot)
    }
}
