import Foundation

/// Student's t distribution: its CDF through the regularized incomplete beta function, and its
/// quantile (the inverse CDF), for the confidence intervals of `fatnn-coord compare`.
public enum StudentT {
    /// The `p` quantile of Student's t with `degreesOfFreedom` degrees of freedom: the `t` with
    /// `P(T ≤ t) = p`. One and two degrees of freedom have closed forms; otherwise the CDF is
    /// inverted by bisection to about 1e-12 (t(0.975, 30) = 2.0423). Nil when `p` is not in
    /// (0, 1) or `degreesOfFreedom` < 1.
    public static func quantile(_ p: Double, degreesOfFreedom df: Int) -> Double? {
        guard p > 0, p < 1, df >= 1 else { return nil }
        if p == 0.5 { return 0 }
        if p < 0.5 { return quantile(1 - p, degreesOfFreedom: df).map { -$0 } }
        switch df {
        case 1: return tan(Double.pi * (p - 0.5))
        case 2:
            let a = 4 * p * (1 - p)
            return 2 * (p - 0.5) * (2 / a).squareRoot()
        default:
            // cdf is increasing in t; bracket p, then bisect (each step halves the bracket).
            var lo = 0.0, hi = 1.0
            while cdf(hi, degreesOfFreedom: Double(df)) < p && hi < 1e12 { lo = hi; hi *= 2 }
            for _ in 0..<200 {
                let mid = (lo + hi) / 2
                if cdf(mid, degreesOfFreedom: Double(df)) < p { lo = mid } else { hi = mid }
                if hi - lo <= 1e-13 * max(1, hi) { break }
            }
            return (lo + hi) / 2
        }
    }

    /// `P(T ≤ t)` for Student's t with `df` (> 0) degrees of freedom:
    /// `1 − ½·I_x(df/2, ½)` with `x = df / (df + t²)` for `t ≥ 0`, and by symmetry below 0.
    public static func cdf(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard t.isFinite else { return t > 0 ? 1 : 0 }
        let tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The regularized incomplete beta function `I_x(a, b)` for `a, b > 0` and `x` in [0, 1],
    /// by its continued fraction (modified Lentz), taken on the side where it converges fast.
    public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logPowers - logBeta
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    /// The continued fraction of the incomplete beta function (Numerical Recipes' `betacf`).
    static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300, epsilon = 1e-15
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...1000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            h *= step
            if abs(step - 1) < epsilon { break }
        }
        return h
    }
}
