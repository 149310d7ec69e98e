import CFloatKernels
import Testing

@testable import FATNNEngine

/// The activation quantizer's C kernels against their definition written out in their documented
/// order (two pairs of 8-lane sums over alternate blocks of 8, lanes summed in order from -0, the
/// tail in order): the same codes, input gradients and ramp sums bit for bit, for every tail
/// length and for values exactly on the ramps' ends and the code steps.
@Suite struct TernaryActivationKernelTests {
    @Test(arguments: [0, 1, 7, 8, 9, 16, 17, 24, 49, 100])
    func kernelsMatchTheirDefinition(count: Int) {
        var rng = RandomSource(seed: UInt64(count + 5))
        let (o0, a0, o1, a1): (Float, Float, Float, Float) = (0.25, 2, 0.75, 4)
        // Every fourth value sits on a ramp end or a code step: u = 0, 1 or 0.5 for one ramp.
        let edges: [Float] = [o0, o0 + 1 / a0, o1, o1 + 1 / a1, o0 + 0.5 / a0, o1 + 0.5 / a1]
        let x = (0..<count).map { i in i % 4 == 0 ? edges[i / 4 % edges.count] : rng.nextGaussian() * 0.5 + 0.5 }
        let g = (0..<count).map { _ in rng.nextGaussian() }

        var y = [Float](repeating: .nan, count: count)
        fk_ternary_activation_forward(x, &y, count, o0, a0, o1, a1)
        let codes = x.map { v -> Float in ((v - o0) * a0 > 0.5 ? 1 : 0) + ((v - o1) * a1 > 0.5 ? 1 : 0) }
        #expect(y.map(\.bitPattern) == codes.map(\.bitPattern))

        var dx = [Float](repeating: .nan, count: count), s0: Float = .nan, s1: Float = .nan
        fk_ternary_activation_backward(x, g, &dx, count, o0, a0, o1, a1, &s0, &s1)
        let c01 = a1 / (a0 * a0)
        func ramp(_ u: Float) -> Bool { u >= 0 && u <= 1 }
        var want = [Float](repeating: 0, count: count)
        var lanes = [[Float]](repeating: [Float](repeating: 0, count: 8), count: 4)  // s0, s1, s2, s3
        func block(_ i: Int, _ pair: Int) {
            for k in 0..<8 {
                let v = x[i + k], gv = g[i + k], d0 = v - o0, d1 = v - o1, r0 = ramp(d0 * a0), r1 = ramp(d1 * a1)
                want[i + k] = gv * ((r0 ? a0 : 0) + (r1 ? a1 : 0))
                lanes[pair][k] += gv * ((r0 ? d0 : 0) + (r1 ? c01 : 0))
                lanes[pair + 1][k] += gv * (r1 ? d1 : 0)
            }
        }
        var i = 0
        while i + 16 <= count {
            block(i, 0)
            block(i + 8, 2)
            i += 16
        }
        if i + 8 <= count {
            block(i, 0)
            i += 8
        }
        var t0: Float = -0.0, t1: Float = -0.0
        for k in 0..<8 { t0 += lanes[0][k] + lanes[2][k]; t1 += lanes[1][k] + lanes[3][k] }
        while i < count {
            let v = x[i], gi = g[i], d0 = v - o0, d1 = v - o1
            let r0: Float = ramp(d0 * a0) ? 1 : 0, r1: Float = ramp(d1 * a1) ? 1 : 0
            want[i] = gi * (a0 * r0 + a1 * r1)
            t0 += gi * (r0 * d0 + r1 * c01)
            t1 += gi * (r1 * d1)
            i += 1
        }
        #expect(dx.map(\.bitPattern) == want.map(\.bitPattern))
        #expect(s0.bitPattern == t0.bitPattern && s1.bitPattern == t1.bitPattern, "sums \(s0) \(s1) against \(t0) \(t1)")
    }
}
