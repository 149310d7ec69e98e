import CFloatKernels
@testable import FATNNEngine
import Foundation
import Testing

/// The direct float convolution kernels (`CFloatKernels`): every path against the portable one,
/// nothing written outside its range, and Conv2d's direct path against its OpenBLAS path.
@Suite struct FloatConvolutionTests {
    /// Largest |a - b| over the largest |b| (sums in a different order differ by rounding only):
    /// the measure `fatnn bench conv` reports.
    private func relativeError(_ a: [Float], _ b: [Float]) -> Double { ConvBenchmark.relativeDifference(b, a) }

    /// The vector paths this CPU runs (a path it lacks is untested here).
    private var vectorPaths: [fk_path] { [FK_AVX2, FK_AVX512].filter { fk_path_supported($0) == 1 } }

    /// Random tap products: rows 1-14 (every block height and remainder), depth 1-9, 1-4 taps at
    /// random offsets (negative ones too), 1-53 positions (every tail length), output rows with a
    /// gap after them that must stay untouched.
    @Test(arguments: Array(0..<60))
    func tapProductsMatchThePortablePath(seed: Int) {
        var rng = RandomSource(seed: UInt64(seed + 1))
        func pick(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(rng.next() % UInt64(r.count)) }
        let rows = pick(1...14), depth = pick(1...9), taps = pick(1...4), n = pick(1...53), accumulate = Int32(seed % 2)
        // Offsets from -20 to 20 (the gathered input gradient reads before its base pointer).
        let offsets = (0..<taps).map { _ in pick(0...40) - 20 }
        let ldx = n + 40 + pick(0...5), ldy = n + pick(1...9)
        let storage = (0..<(depth * ldx + 20)).map { _ in rng.nextGaussian() }
        let a = (0..<(taps * rows * depth)).map { _ in rng.nextGaussian() }  // [t][r][k]
        var packed = [Float](repeating: 0, count: a.count)
        fk_pack_rows(a, rows, depth, taps, rows * depth, depth, 1, &packed)
        let sentinel = Float(12345)
        let start = (0..<(rows * ldy)).map { $0 % ldy < n ? rng.nextGaussian() : sentinel }
        var expected = start
        storage.withUnsafeBufferPointer { sb in
            #expect(fk_conv_taps(FK_SCALAR, sb.baseAddress! + 20, ldx, depth, offsets, taps, packed, rows, &expected, ldy, n, accumulate) == 0)
        }
        // The portable path against the definition.
        for r in 0..<rows {
            for p in 0..<n {
                var s: Double = accumulate == 1 ? Double(start[r * ldy + p]) : 0
                for t in 0..<taps {
                    for k in 0..<depth { s += Double(a[(t * rows + r) * depth + k]) * Double(storage[20 + k * ldx + offsets[t] + p]) }
                }
                #expect(abs(Double(expected[r * ldy + p]) - s) <= 1e-4 * max(1, abs(s)))
            }
        }
        var outputs: [[Float]] = []
        for path in vectorPaths {
            var y = start
            storage.withUnsafeBufferPointer { sb in
                #expect(fk_conv_taps(path, sb.baseAddress! + 20, ldx, depth, offsets, taps, packed, rows, &y, ldy, n, accumulate) == 0)
            }
            #expect(relativeError(y, expected) < 1e-5, "rows \(rows) depth \(depth) taps \(taps) n \(n)")
            for i in y.indices where i % ldy >= n { #expect(y[i] == sentinel, "wrote outside [0, n) at row \(i / ldy)") }
            outputs.append(y)
        }
        // AVX2 and AVX-512 give the same bits (fk_best_taps_path picks AVX-512 where it exists).
        if outputs.count == 2 { #expect(outputs[0] == outputs[1], "rows \(rows) depth \(depth) taps \(taps) n \(n)") }
    }

    /// Random weight gradients: rows 1-8, depth 1-10 (every block remainder; 1-3 channels block
    /// taps instead), 1-9 taps, 1-70 positions, 1-3 images summed in one call.
    @Test(arguments: Array(0..<40))
    func weightGradientsMatchThePortablePath(seed: Int) {
        var rng = RandomSource(seed: UInt64(seed + 100))
        func pick(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(rng.next() % UInt64(r.count)) }
        let rows = pick(1...8), depth = seed % 3 == 0 ? pick(1...3) : pick(1...10), taps = pick(1...9), n = pick(1...70), images = pick(1...3)
        let offsets = (0..<taps).map { _ in pick(0...9) }
        let ldx = n + 9 + pick(0...3), ldy = n + pick(0...4)
        let ximage = depth * ldx + pick(0...3), dyimage = rows * ldy + pick(0...3)
        let x = (0..<(images * ximage)).map { _ in rng.nextGaussian() }
        let dy = (0..<(images * dyimage)).map { _ in rng.nextGaussian() }
        let start = (0..<(taps * rows * depth)).map { _ in rng.nextGaussian() }
        var expected = start
        #expect(fk_conv_weight_grad(FK_SCALAR, x, ldx, depth, offsets, taps, dy, ldy, rows, &expected, n, images, ximage, dyimage) == 0)
        for t in 0..<taps {
            for r in 0..<rows {
                for k in 0..<depth {
                    var s = Double(start[(t * rows + r) * depth + k])
                    for i in 0..<images {
                        for p in 0..<n { s += Double(dy[i * dyimage + r * ldy + p]) * Double(x[i * ximage + k * ldx + offsets[t] + p]) }
                    }
                    #expect(abs(Double(expected[(t * rows + r) * depth + k]) - s) <= 1e-4 * max(1, abs(s)))
                }
            }
        }
        for path in vectorPaths {
            var dw = start
            #expect(fk_conv_weight_grad(path, x, ldx, depth, offsets, taps, dy, ldy, rows, &dw, n, images, ximage, dyimage) == 0)
            #expect(relativeError(dw, expected) < 1e-5, "rows \(rows) depth \(depth) taps \(taps) n \(n)")
        }
    }

    @Test func badSizesAreRefused() {
        var y = [Float](repeating: 0, count: 8)
        let x = [Float](repeating: 1, count: 8), a = [Float](repeating: 1, count: 8)
        #expect(fk_conv_taps(FK_SCALAR, x, 8, 1, [0], 1, a, 1, &y, 4, 8, 0) == -1)  // ldy < n
        #expect(fk_conv_taps(FK_SCALAR, x, 8, -1, [0], 1, a, 1, &y, 8, 8, 0) == -1)
        #expect(fk_conv_weight_grad(FK_SCALAR, x, 8, 1, [0], 1, a, 8, 1, &y, -1, 1, 0, 0) == -1)
        #expect(fk_conv_weight_grad(FK_SCALAR, x, 8, 1, [0], 1, a, 8, 1, &y, 8, -1, 0, 0) == -1)
    }

    /// Conv2d's direct path against its OpenBLAS path: forward, weight and input gradients, on
    /// shapes with odd channel counts, widths across the vector tails, strides 1-3 (gathered and
    /// scattered input gradients), pointwise and padded 1x1 convolutions, a kernel wider than the
    /// image, and a first layer (no input gradient).
    @Test(arguments: [
        (3, 1, 1, 5, 7, 9, 9), (3, 1, 1, 16, 16, 7, 7), (3, 1, 1, 3, 13, 14, 14), (3, 2, 1, 6, 5, 15, 11), (1, 1, 0, 7, 11, 6, 5),
        (1, 2, 0, 5, 6, 9, 9), (5, 1, 2, 4, 3, 2, 3), (3, 1, 0, 2, 7, 9, 17), (2, 1, 1, 3, 4, 5, 6), (3, 3, 1, 5, 4, 10, 10),
        (1, 1, 1, 3, 5, 4, 4), (5, 2, 2, 4, 6, 2, 2),
        (3, 1, 3, 3, 4, 4, 5), (2, 1, 2, 2, 3, 3, 3), (3, 2, 4, 2, 3, 5, 4),  // padding >= kernel: no garbage columns
    ])
    func directPathMatchesOpenBLAS(kernel: Int, stride: Int, padding: Int, cin: Int, cout: Int, height: Int, width: Int) {
        // Batches of 3 and of 11 images (one thread's share then ends in a partial weight-gradient
        // group), zero padding and a binary conv's +1 padding, and a first layer.
        for (first, images, padValue) in [(false, 3, Float(0)), (true, 3, 0), (false, 11, 1)] {
            var rng = RandomSource(seed: UInt64(kernel * 1000 + stride * 100 + cin * 10 + cout))
            let x = Matrix(rows: images, cols: cin * height * width) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
            let convs = FloatConvolution.Path.allCases.map { path -> Conv2d in
                var seed = RandomSource(seed: 9)
                let c = Conv2d(name: "c", input: ImageShape(channels: cin, height: height, width: width), outChannels: cout,
                               kernel: kernel, stride: stride, padding: padding, rng: &seed)
                c.path = path
                c.needsInputGradient = !first
                c.padValue = padValue
                return c
            }
            let g = Matrix(rows: images, cols: convs[0].output.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
            let results = convs.map { c -> (y: [Float], dw: [Float], dx: [Float]) in
                let y = c.forward(x, training: true)
                let dx = c.backward(g)
                return (y.data, c.weight.grad, dx.data)
            }
            #expect(relativeError(results[1].y, results[0].y) < 1e-5)
            #expect(relativeError(results[1].dw, results[0].dw) < 1e-5)
            if first {
                #expect(results[1].dx.allSatisfy { $0 == 0 })
            } else {
                #expect(relativeError(results[1].dx, results[0].dx) < 1e-5)
            }
            #expect(convs[1].path == .direct && convs[0].path == .openblas)
        }
    }
}
