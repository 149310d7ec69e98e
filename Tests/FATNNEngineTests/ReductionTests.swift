import CFloatKernels
import Testing

@testable import FATNNEngine

/// BatchNorm's C reductions add in their documented order (16 lanes, every 16th value each, the
/// lanes' sums in order from -0, then the tail): bit-identical to that order written out here, for
/// every tail length, with and without a ReLU mask.
@Suite struct ReductionTests {
    @Test(arguments: [0, 1, 15, 16, 17, 49, 196, 784])
    func reductionsAddInTheirDocumentedOrder(count: Int) {
        var rng = RandomSource(seed: UInt64(count + 1))
        let x = (0..<count).map { _ in rng.nextGaussian() * 3 + 1 }, g = (0..<count).map { _ in rng.nextGaussian() }
        let mask = (0..<count).map { i in i % 3 == 0 ? Float(0) : rng.nextGaussian() }
        let center: Float = 0.7, scale: Float = 1.3

        /// Σ f(i) in the documented order.
        func ordered(_ f: (Int) -> Float) -> Float {
            var lanes = [Float](repeating: 0, count: 16)
            var i = 0
            while i + 16 <= count {
                for k in 0..<16 { lanes[k] += f(i + k) }
                i += 16
            }
            var s: Float = -0.0
            for k in 0..<8 { s += lanes[k] + lanes[k + 8] }
            while i < count { s += f(i); i += 1 }
            return s
        }
        #expect(fk_sum(x, count).bitPattern == ordered { x[$0] }.bitPattern)
        let mean: Float = 0.9
        #expect(fk_sum_squared_deviations(x, count, mean).bitPattern == ordered { (x[$0] - mean) * (x[$0] - mean) }.bitPattern)
        for masked in [false, true] {
            var sum: Float = .nan, dot: Float = .nan
            fk_sum_and_dot(g, x, count, center, scale, masked ? mask : nil, &sum, &dot)
            let kept: (Int) -> Float = { !masked || mask[$0] > 0 ? g[$0] : 0 }
            #expect(sum.bitPattern == ordered(kept).bitPattern, "masked \(masked)")
            #expect(dot.bitPattern == ordered { kept($0) * ((x[$0] - center) * scale) }.bitPattern, "masked \(masked)")
        }
    }
}
