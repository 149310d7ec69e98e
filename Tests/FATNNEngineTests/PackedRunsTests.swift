@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Testing

/// Activation runs (the packed network's conv inputs): every path writes the codes the float
/// quantizer and the folded thresholds give, and every path's windows equal the portable path's
/// windows of the same codes. Equality on every supported path, against the portable loops.
@Suite struct PackedRunsTests {
    /// `(cin, h, w, pad)`: one word per pixel and several, channel counts dividing 64 and not,
    /// planes that are not a multiple of 16 pixels, and no padding.
    static let shapes = [(16, 7, 6, 1), (3, 5, 5, 2), (64, 4, 9, 1), (70, 3, 4, 1), (32, 7, 7, 0), (1, 2, 3, 1)]

    @Test(arguments: shapes)
    func quantizedRunsHoldTheQuantizersCodes(cfg: (Int, Int, Int, Int)) {
        let (cin, h, w, pad) = cfg
        let shape = ImageShape(channels: cin, height: h, width: w)
        var rng = RandomSource(seed: UInt64(cin * 13 + h * 5 + w))
        let x = Matrix(rows: 3, cols: shape.count) { v in for i in v.indices { v[i] = rng.nextGaussian() * 1.5 } }
        for perChannel in [false, true] {
            let q = FATNNActivationQuantizer(name: "q", shape: shape, steps: 2, perChannel: perChannel, initial: 2)
            for i in q.alpha.value.indices { q.alpha.value[i] = 0.6 + 3 * rng.nextUnitFloat() }
            // Values exactly on a threshold must round down (strict >), as the float quantizer does.
            var xt = x
            let t = q.thresholds()
            xt.data[0] = t[0]
            xt.data[1] = t[1]
            let expected = q.forward(xt, training: false).data.map { UInt8($0) }
            if shape.count >= 100 { #expect(Set(expected).count == 3, "the data covers every code") }
            for path in PackedKernel.Path.supported {
                let runs = PackedRuns.quantize(xt, with: q, padding: pad, path: path)
                #expect(runs.codes() == expected, "\(cfg) perChannel \(perChannel) on \(path)")
            }
        }
    }

    @Test(arguments: shapes)
    func thresholdRunsHoldTheFoldedCodes(cfg: (Int, Int, Int, Int)) {
        let (c, h, w, pad) = cfg
        let shape = ImageShape(channels: c, height: h, width: w)
        var rng = RandomSource(seed: UInt64(c * 17 + h * 3 + w))
        let images = 3, columns = images * shape.plane
        let raw = (0..<c * columns).map { _ in Int32(Int(rng.nextUnitFloat() * 41) - 20) }
        var t = FoldedThresholds(channels: c, direction: [], theta1: [], theta2: [])
        for _ in 0..<c {
            let a = Int32(Int(rng.nextUnitFloat() * 21) - 10), b = a + Int32(Int(rng.nextUnitFloat() * 10))
            t.direction.append(rng.nextUnitFloat() < 0.3 ? -1 : 1)
            t.theta1.append(a)
            t.theta2.append(b)
        }
        let expected = t.codes(raw: raw, images: images, spatial: shape.plane)
        for path in PackedKernel.Path.supported {
            let runs = PackedRuns.threshold(raw: raw, t, shape: shape, images: images, padding: pad, path: path)
            #expect(runs.codes() == expected, "\(cfg) on \(path)")
        }
    }

    /// `(cin, h, w, kernel, stride, pad)`: rows narrower and wider than a block of 8 columns (the
    /// vector paths load a block in one row at once, one that spans two rows in two reads of 8
    /// words, masked or blended, and gather the rest; blocks that span the last row of one image
    /// and the first of the next),
    /// stride 2 near the right edge, channels that do not divide 64 and more than 64, 9x9 kernels
    /// (81 taps: more than the vector paths' table of 64 tap offsets).
    @Test(arguments: [(16, 7, 6, 3, 1, 1), (3, 5, 5, 3, 1, 2), (64, 6, 6, 3, 2, 1), (70, 4, 5, 3, 1, 1), (32, 7, 7, 1, 2, 0),
                      (5, 3, 3, 3, 1, 1), (24, 5, 4, 3, 2, 1), (16, 12, 19, 3, 1, 1), (32, 28, 28, 3, 2, 1),
                      (16, 28, 28, 1, 2, 0), (64, 18, 17, 1, 2, 0), (8, 9, 30, 3, 2, 2), (64, 7, 7, 3, 1, 1),
                      (32, 5, 5, 3, 1, 1), (16, 14, 14, 3, 1, 1), (16, 3, 5, 3, 1, 1), (32, 5, 6, 3, 1, 0),
                      (16, 28, 28, 3, 1, 1), (16, 10, 11, 9, 1, 4), (1, 9, 10, 9, 2, 0)])
    func windowsFromRunsEqualWindowsFromBytes(cfg: (Int, Int, Int, Int, Int, Int)) {
        let (cin, h, w, k, stride, pad) = cfg
        let shape = ImageShape(channels: cin, height: h, width: w)
        var rng = RandomSource(seed: UInt64(cin * 7 + h + k))
        let images = 3
        let conv = PackedConv(input: shape, outChannels: 2, kernel: k, stride: stride, padding: pad,
                              weightCodes: [Int8](repeating: 1, count: 2 * cin * k * k))
        let codes = (0..<images * shape.count).map { _ in UInt8(PackedKernel.randomActivationCode(.fatnn, &rng)) }
        // α0 = α1 = 1: thresholds 0.5 and 1.5, so the float code c quantizes to c.
        let q = FATNNActivationQuantizer(name: "q", shape: shape, steps: 2, perChannel: false, initial: 1)
        let x = Matrix(rows: images, cols: shape.count, data: codes.map(Float.init))
        // The portable packing of the codes' runs is the oracle.
        let expected = conv.packWindows(codes, images: images, path: .scalar)
        for path in PackedKernel.Path.supported {
            let runs = PackedRuns.quantize(x, with: q, padding: pad, path: path)
            #expect(runs.codes() == codes)
            #expect(conv.packWindows(runs, path: path) == expected, "\(cfg) on \(path)")
        }
    }

    /// The kernel with thresholds as its epilogue (AVX-512) against the kernel's raw output through
    /// the thresholds: `(cin, cout, h, w, kernel, stride, pad of the next conv)`, with output
    /// channels below, at and not dividing 64, columns not a multiple of a block, and the γ < 0
    /// direction.
    @Test(arguments: [(16, 16, 7, 6, 3, 1, 1), (16, 64, 5, 5, 3, 1, 1), (32, 5, 4, 9, 3, 2, 0), (64, 33, 7, 7, 3, 1, 2),
                      (3, 1, 3, 3, 1, 1, 1)])
    func kernelWithThresholdsEqualsKernelThenThresholds(cfg: (Int, Int, Int, Int, Int, Int, Int)) {
        let (cin, cout, h, w, k, stride, nextPad) = cfg
        var rng = RandomSource(seed: UInt64(cin * 11 + cout * 3 + h + k))
        let shape = ImageShape(channels: cin, height: h, width: w)
        let weights = (0..<cout * cin * k * k).map { _ in PackedKernel.randomWeightCode(.fatnn, &rng) }
        let conv = PackedConv(input: shape, outChannels: cout, kernel: k, stride: stride, padding: k / 2, weightCodes: weights)
        let images = 3
        let codes = (0..<images * shape.count).map { _ in UInt8(PackedKernel.randomActivationCode(.fatnn, &rng)) }
        let windows = conv.packWindows(codes, images: images)
        // Raw outputs of random codes spread about ±√K around 0: thresholds there give every code.
        let spread = Float(cin * k * k).squareRoot()
        var t = FoldedThresholds(channels: cout, direction: [], theta1: [], theta2: [])
        for _ in 0..<cout {
            let a = Int32((rng.nextUnitFloat() - 0.5) * spread), b = a + Int32(rng.nextUnitFloat() * spread / 2)
            t.direction.append(rng.nextUnitFloat() < 0.3 ? -1 : 1)
            t.theta1.append(a)
            t.theta2.append(b)
        }
        let raw = PackedKernel.multiplyRaw(conv.weights, windows, path: .scalar)
        let expected = PackedRuns.threshold(raw: raw, t, shape: conv.output, images: images, padding: nextPad, path: .scalar)
        #expect(Set(expected.codes()).count == 3 || cout * conv.output.plane < 40, "the thresholds give every code")
        for path in PackedKernel.Path.supported {
            let got = PackedRuns.convolve(windows, conv, thresholds: t, padding: nextPad, path: path)
            #expect(got.mask == expected.mask && got.sign == expected.sign, "\(cfg) on \(path)")
        }
    }
}
