import FATNNJobs
import Foundation
import Testing

/// Student's t quantiles against published table values, and the pieces under them.
@Suite struct StudentTTests {
    /// Two-sided 95% (and a few other) critical values, from standard t tables (7 digits).
    @Test func quantilesMatchTables() throws {
        let known: [(p: Double, df: Int, t: Double)] = [
            (0.975, 1, 12.7062047), (0.975, 2, 4.3026527), (0.975, 3, 3.1824463), (0.975, 4, 2.7764451),
            (0.975, 5, 2.5705818), (0.975, 10, 2.2281389), (0.975, 30, 2.0422725), (0.975, 100, 1.9839715),
            (0.995, 10, 3.1692727), (0.95, 5, 2.0150484), (0.9, 20, 1.3253407), (0.999, 3, 10.2145319),
        ]
        for k in known {
            let t = try #require(StudentT.quantile(k.p, degreesOfFreedom: k.df))
            #expect(abs(t - k.t) < 5e-7, "t(\(k.p), \(k.df)) = \(t), table \(k.t)")
            let lower = try #require(StudentT.quantile(1 - k.p, degreesOfFreedom: k.df))
            #expect(abs(lower + t) < 1e-9, "symmetric")
        }
        // Many degrees of freedom approach the normal quantile 1.959964.
        #expect(abs((StudentT.quantile(0.975, degreesOfFreedom: 100_000) ?? 0) - 1.959964) < 1e-4)
        #expect(StudentT.quantile(0.5, degreesOfFreedom: 7) == 0)
    }

    @Test func invalidArgumentsGiveNil() {
        #expect(StudentT.quantile(0, degreesOfFreedom: 3) == nil)
        #expect(StudentT.quantile(1, degreesOfFreedom: 3) == nil)
        #expect(StudentT.quantile(0.975, degreesOfFreedom: 0) == nil)
    }

    @Test func cdfAndIncompleteBeta() {
        // I_x(a, a) at x = 1/2 is 1/2; I_x(1, 1) = x; I_x(a, 1) = x^a.
        #expect(abs(StudentT.regularizedIncompleteBeta(0.5, a: 3.5, b: 3.5) - 0.5) < 1e-12)
        #expect(abs(StudentT.regularizedIncompleteBeta(0.3, a: 1, b: 1) - 0.3) < 1e-12)
        #expect(abs(StudentT.regularizedIncompleteBeta(0.7, a: 2.5, b: 1) - pow(0.7, 2.5)) < 1e-12)
        // t with 1 degree of freedom is Cauchy: P(T <= 1) = 3/4.
        #expect(abs(StudentT.cdf(1, degreesOfFreedom: 1) - 0.75) < 1e-12)
        #expect(abs(StudentT.cdf(2.7764451, degreesOfFreedom: 4) - 0.975) < 1e-8)
        #expect(abs(StudentT.cdf(-2.7764451, degreesOfFreedom: 4) - 0.025) < 1e-8)
    }
}
