import CFloatKernels
@testable import FATNNEngine
import FATNNVocabulary
import Testing

/// Winograd against the direct path: the same convolution to rounding, on even and odd maps (a
/// last row and column of partial tiles), F(2x2, 3x3) and, from 13x13 up, F(4x4, 3x3), with and
/// without an epilogue, over image counts that fill several tile groups and leave a partial one.
@Suite struct WinogradTests {
    @Test(arguments: [(1, 4, 5, 6), (16, 16, 28, 28), (32, 32, 14, 14), (64, 64, 7, 7), (3, 5, 9, 4), (8, 6, 1, 1), (8, 6, 13, 17),
                      (12, 8, 15, 34), (16, 8, 8, 8), (8, 6, 6, 9), (12, 8, 12, 12),
                      (8, 6, 17, 13)])
    func forwardMatchesTheDirectPath(cin: Int, cout: Int, height: Int, width: Int) {
        var rng = RandomSource(seed: UInt64(cin * 1000 + height))
        let shape = ImageShape(channels: cin, height: height, width: width)
        let direct = Conv2d(name: "c", input: shape, outChannels: cout, kernel: 3, padding: 1, rng: &rng)
        direct.path = .direct
        let winograd = Conv2d(name: "c", input: shape, outChannels: cout, kernel: 3, padding: 1, rng: &rng)
        winograd.weight.value = direct.weight.value
        winograd.path = .winograd
        #expect(winograd.winogradApplies && !direct.winogradApplies)
        let (tile, pack) = winograd.winogradLayout
        let images = 2 * Conv2d.winogradImagesPerSet(shape, tile: tile, pack: pack) + 3  // several sets, a partial one, a lone last image
        let x = Matrix(rows: images, cols: shape.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
        let bn = BatchNorm(name: "bn", features: cout, spatial: height * width)
        for i in 0..<cout { bn.gamma.value[i] = rng.nextGaussian(); bn.beta.value[i] = rng.nextGaussian() }
        for epilogue in [nil, bn.inferenceEpilogue(relu: true)] {
            let a = direct.forward(x, epilogue: epilogue), b = winograd.forward(x, epilogue: epilogue)
            let scale = a.data.reduce(Float(0)) { max($0, abs($1)) }
            let far = zip(a.data, b.data).filter { abs($0 - $1) > 1e-5 * max(scale, 1) }.count
            #expect(far == 0, "\(far) of \(a.data.count) outputs differ beyond rounding (epilogue: \(epilogue != nil))")
            #expect(scale > 0.1)
        }
    }

    /// The input gradient on Winograd products (the output gradient convolved with the rotated,
    /// transposed weights) equals the direct path's to rounding; so does the weight gradient
    /// (Winograd F(3x3, 4x4) or F(3x3, 2x2)), on odd maps too (the overhanging tiles read zero
    /// gradient), with two images a slot on the small maps, or,
    /// with FATNN_WINOGRAD_WEIGHTS=direct, on the same kernel in both, bit for bit.
    @Test(arguments: [(1, 4, 5, 6), (16, 16, 28, 28), (32, 32, 14, 14), (64, 64, 7, 7), (3, 5, 9, 4), (8, 6, 1, 1), (8, 6, 13, 17),
                      (12, 8, 15, 34), (16, 8, 8, 8), (8, 6, 6, 9), (12, 8, 12, 12),
                      (8, 6, 17, 13)])
    func inputGradientMatchesTheDirectPath(cin: Int, cout: Int, height: Int, width: Int) {
        var rng = RandomSource(seed: UInt64(cout * 1000 + width))
        let shape = ImageShape(channels: cin, height: height, width: width)
        let convs = [FloatConvolution.Path.direct, .winograd].map { path -> Conv2d in
            var seed = RandomSource(seed: 11)
            let c = Conv2d(name: "c", input: shape, outChannels: cout, kernel: 3, padding: 1, rng: &seed)
            c.path = path
            return c
        }
        let x = Matrix(rows: 5, cols: shape.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
        let g = Matrix(rows: 5, cols: convs[0].output.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
        let results = convs.map { c -> (Matrix, [Float]) in
            _ = c.forward(x, training: true)
            c.weight.zeroGrad()
            return (c.backward(g), c.weight.grad)
        }
        let (a, b) = (results[0].0.data, results[1].0.data), scale = a.reduce(Float(0)) { max($0, abs($1)) }
        #expect(scale > 0.1)
        #expect(zip(a, b).filter { abs($0 - $1) > 1e-5 * max(scale, 1) }.isEmpty, "input gradient beyond rounding")
        let (dw, wdw) = (results[0].1, results[1].1), dwScale = dw.reduce(Float(0)) { max($0, abs($1)) }
        #expect(dwScale > 0.1)
        if convs[1].winogradWeightGradient {
            let far = zip(dw, wdw).filter { abs($0 - $1) > 1e-5 * max(dwScale, 1) }.count
            #expect(far == 0, "\(far) of \(dw.count) weight-gradient values differ beyond rounding")
        } else {
            #expect(zip(dw, wdw).filter { $0 != $1 }.isEmpty, "weight gradient")
        }
    }

    /// The weight gradient of a chunk that fills several sets of tiles and leaves a partial one,
    /// on even and odd maps, against the float64 sums of the convolution's definition: within 1e-4
    /// of each value on 2x2 tiles; on 4x4 tiles, which round more (transforms with constants up to
    /// 8 and 1/24; measured 1.8-2.3e-6 of the largest value on these shapes, F(3x3, 2x2) 2-3e-7),
    /// within 1e-5 of the largest value.
    @Test(arguments: [(16, 16, 28, 28), (32, 32, 14, 14), (8, 12, 6, 10), (16, 8, 4, 2), (64, 64, 7, 7), (6, 4, 5, 9), (3, 5, 1, 1),
                      (8, 6, 13, 17), (12, 8, 15, 34), (16, 8, 8, 8), (8, 6, 6, 9), (12, 8, 12, 12)])
    func weightGradientMatchesTheReference(cin: Int, cout: Int, height: Int, width: Int) {
        var rng = RandomSource(seed: UInt64(cin * 7 + height))
        let shape = ImageShape(channels: cin, height: height, width: width)
        let conv = Conv2d(name: "c", input: shape, outChannels: cout, kernel: 3, padding: 1, rng: &rng)
        conv.path = .winograd
        #expect(conv.winogradWeightGradient)
        let images = 2 * Conv2d.winogradImagesPerSet(conv.output, tile: conv.winogradTile, pack: conv.winogradLayout.pack) + 1
        let x = Matrix(rows: images, cols: shape.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
        let g = Matrix(rows: images, cols: conv.output.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
        _ = conv.forward(x, training: true)
        conv.weight.zeroGrad()
        _ = conv.backward(g)
        // dW[o][c][ky][kx] = sum over images and outputs of dY[o][y][x] · X[c][y + ky - 1][x + kx - 1].
        var pairs: [(got: Double, want: Double)] = []
        for o in 0..<cout {
            for c in 0..<cin {
                for t in 0..<9 {
                    var want = 0.0
                    for b in 0..<images {
                        for y in 0..<height {
                            for xx in 0..<width {
                                let iy = y + t / 3 - 1, ix = xx + t % 3 - 1
                                guard iy >= 0 && iy < height && ix >= 0 && ix < width else { continue }
                                want += Double(g.data[b * conv.output.count + (o * height + y) * width + xx])
                                    * Double(x.data[b * shape.count + (c * height + iy) * width + ix])
                            }
                        }
                    }
                    pairs.append((Double(conv.weight.grad[(o * cin + c) * 9 + t]), want))
                }
            }
        }
        let scale = pairs.map { abs($0.want) }.max() ?? 0, large = conv.winogradTile == 4
        let far = pairs.filter { abs($0.got - $0.want) > (large ? 1e-5 * scale : 1e-4 * max(abs($0.want), 1)) }.count
        #expect(scale > 1)
        #expect(far == 0, "\(far) of \(cout * cin * 9) weight-gradient values differ from the float64 sum")
    }

    /// A whole resnet20 training step (BatchNorm-fused output gradients, 28x28 to 7x7 maps, the
    /// weight gradients on Winograd) gives the parameter gradients of the same network with every
    /// convolution's backward on the direct path, to rounding; float and FATNN QAT. Both networks
    /// run the same (Winograd) forward, so that they take the same ReLU decisions: a value within
    /// rounding of zero would otherwise pass its gradient in one network and not in the other, and
    /// one such element moves a BatchNorm's bias gradient (a sum that mostly cancels) by far more
    /// than rounding. The forwards are compared on their logits, which such a flip barely moves.
    @Test(arguments: [QuantizerKind.fp, .fatnn])
    func trainingStepMatchesTheDirectPath(kind: QuantizerKind) {
        guard FloatConvolution.defaultPath == .direct else { return }  // forced, or no vector path
        let shape = ImageShape(channels: 1, height: 28, width: 28), settings = QuantizerSettings(kind: kind)
        let nets = (0..<3).map { _ in ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 8, quantizer: settings) }
        let convs = nets.map { $0.leafLayers.compactMap { ($0 as? Conv2d) ?? ($0 as? QuantizedConv2d)?.conv } }
        #expect(convs[0].filter(\.winogradWeightGradient).count == (FloatConvolution.winogradWeightGradients ? 16 : 0))
        for c in convs[2] { c.path = .direct }
        var rng = RandomSource(seed: 12)
        let x = Matrix(rows: 8, cols: shape.count) { b in for i in b.indices { b[i] = rng.nextGaussian() } }
        let labels = [0, 1, 2, 3, 4, 5, 6, 7]
        let logits = nets.map { $0.forward(x, training: true) }
        #expect(logits[0].data == logits[1].data)
        let logitScale = logits[2].data.reduce(Float(0)) { max($0, abs($1)) }
        #expect(zip(logits[0].data, logits[2].data).allSatisfy { abs($0 - $1) <= 1e-4 * logitScale }, "the Winograd forward's logits")
        for c in convs[1] { c.path = .direct }  // the same forward as nets[0], the direct backward
        for net in nets.prefix(2) {
            _ = net.backward(SoftmaxCrossEntropy.evaluate(logits: logits[0], labels: labels).grad)
        }
        for (a, b) in zip(nets[0].parameters, nets[1].parameters) {
            let scale = b.grad.reduce(Float(0)) { max($0, abs($1)) }
            let far = zip(a.grad, b.grad).filter { abs($0 - $1) > 1e-3 * scale }.count
            #expect(far == 0, "\(a.name): \(far) of \(a.grad.count) gradient values differ beyond rounding")
            if a.name.hasSuffix(".weight") { #expect(scale > 0, "\(a.name) got no gradient") }
        }
    }

    /// Only 3x3, stride 1, padding 1 with zero padding takes the Winograd forward.
    @Test func appliesOnlyToItsShapes() {
        var rng = RandomSource(seed: 3)
        let shape = ImageShape(channels: 4, height: 8, width: 8)
        for (kernel, stride, padding) in [(3, 2, 1), (1, 1, 0), (3, 1, 0), (5, 1, 2)] {
            let c = Conv2d(name: "c", input: shape, outChannels: 4, kernel: kernel, stride: stride, padding: padding, rng: &rng)
            c.path = .winograd
            #expect(!c.winogradApplies, "k\(kernel) s\(stride) p\(padding)")
        }
        let binary = Conv2d(name: "c", input: shape, outChannels: 4, kernel: 3, padding: 1, rng: &rng)
        binary.path = .winograd
        binary.padValue = 1
        #expect(!binary.winogradApplies)
    }

    /// New convolutions take Winograd where it measured faster (3x3 stride 1, 8+ input channels,
    /// maps of 7x7 and up: every such convolution of resnet20 after the first); inside a quantized
    /// convolution only for the gradients (its forward sums of codes stay exact).
    @Test func newConvolutionsTakeWinogradWhereItIsFaster() {
        guard FloatConvolution.defaultPath == .direct else { return }  // forced, or no vector path
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let fp = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 1).leafLayers.compactMap { $0 as? Conv2d }
        let chosen = fp.filter { $0.path == .winograd }
        #expect(chosen.count == 16, "the 16-, 32- and 64-channel 3x3 stride-1 convolutions after the first")
        #expect(chosen.allSatisfy { $0.winogradApplies && $0.input.channels >= 16 })
        #expect(chosen.allSatisfy { $0.winogradWeightGradient == FloatConvolution.winogradWeightGradients })
        #expect(Set(chosen.map(\.output.height)) == [28, 14, 7])
        if FloatConvolution.winogradLargeTiles {  // F(4x4, 3x3) everywhere: one image a slot from 13x13 up, two side by side below
            #expect(chosen.allSatisfy { $0.winogradLayout == ($0.output.height >= 13 ? (4, 1) : (4, 2)) })
        }
        #expect(fp.filter { $0.path != .winograd }.allSatisfy { $0.path == .direct })
        let quantized = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 1, quantizer: .init(kind: .fatnn))
        let inner = quantized.leafLayers.compactMap { ($0 as? QuantizedConv2d)?.conv }
        #expect(inner.allSatisfy(\.exactForward) && inner.filter { $0.path == .winograd }.count == 16)
        // Below 7x7 (rows of fewer than 4 tiles) was not measured: direct.
        var rng = RandomSource(seed: 1)
        let small = Conv2d(name: "c", input: ImageShape(channels: 16, height: 6, width: 6), outChannels: 16, kernel: 3, padding: 1, rng: &rng)
        #expect(small.path == .direct)
    }
}

/// The transforms' AVX2 versions give the portable versions' bits on every row length (overlapping
/// last registers, rows of fewer than 4 tiles, rows of 4 tiles two at a time with an odd one left)
/// and odd and even maps: the image transform (no split layout on AVX2) those of the portable
/// split and input transforms, reading nothing from the gaps between rows and channels.
@Suite struct WinogradTransformTests {
    @Test(arguments: Array(1...21))
    func transformsMatchThePortablePath(width: Int) {
        guard fk_path_supported(FK_AVX2) == 1 else { return }  // a path this CPU lacks is untested here
        for height in [1 + width % 5, 5 + width % 2] { transformsMatch(width: width, height: height) }
    }

    private func transformsMatch(width: Int, height: Int) {
        var rng = RandomSource(seed: UInt64(width * 10 + height))
        let channels = 3, th = (height + 1) / 2, tw = (width + 1) / 2, tiles = th * tw
        // Rows and channels with gaps of garbage, as in the wide-row buffer: the transforms read only the image.
        let row = width + 2, plane = height * row + 3
        let x = (0..<(channels * plane)).map { _ in rng.nextGaussian() + 1000 }
        func value(_ c: Int, _ y: Int, _ col: Int) -> Float { x[c * plane + y * row + col] }
        let splitCount = channels * (2 * th + 2) * 2 * (tw + 1)
        func run(_ path: fk_path) -> (split: [Float], v: [Float], image: [Float], t: [Float]) {
            var split = [Float](repeating: .nan, count: splitCount), scratch = split
            var v = [Float](repeating: .nan, count: 16 * channels * tiles), image = v
            var t = [Float](repeating: .nan, count: channels * 4 * tiles)
            fk_winograd_split(path, x, plane, row, channels, height, width, th, tw, &split)
            fk_winograd_input(path, split, channels, th, tw, &v, tiles, channels * tiles)
            fk_winograd_image(path, x, plane, row, channels, height, width, th, tw, &scratch, &image, tiles, channels * tiles)
            fk_winograd_output(path, v, tiles, channels * tiles, channels, th, tw, &t, 4 * tiles, 2 * tw)  // v as products: any numbers do
            return (split, v, image, t)
        }
        let a = run(FK_SCALAR), b = run(FK_AVX2)
        for (name, p, q) in [("image", a.v, b.image), ("image, portable", a.v, a.image), ("output", a.t, b.t)] {
            #expect(!p.contains { $0.isNaN } && !q.contains { $0.isNaN }, "\(name): every value written")
            #expect(p.map(\.bitPattern) == q.map(\.bitPattern), "\(name), \(height)x\(width)")
        }
        // The split layout against its definition: E[m] = padded column 2m, O[m] = 2m + 1.
        for c in 0..<channels {
            for r in 0..<(2 * th + 2) {
                for j in 0..<(2 * (tw + 1)) {
                    let y = r - 1, col = j - 1
                    let want: Float = y >= 0 && y < height && col >= 0 && col < width ? value(c, y, col) : 0
                    let at = (c * (2 * th + 2) + r) * 2 * (tw + 1) + (j % 2 == 0 ? j / 2 : tw + 1 + j / 2)
                    #expect(a.split[at] == want, "split c\(c) r\(r) column \(j)")
                }
            }
        }
    }

    /// An even map's output transform into a destination with its own strides writes the tile
    /// buffer's values there and nothing in the gaps.
    @Test func outputGoesStraightIntoPlace() {
        var rng = RandomSource(seed: 9)
        let channels = 3, th = 4, tw = 7, tiles = th * tw, row = 2 * tw + 1, plane = 2 * th * row + 2
        let m = (0..<(16 * channels * tiles)).map { _ in rng.nextGaussian() }
        for path in [FK_SCALAR, FK_AVX2] where fk_path_supported(path) == 1 {
            var t = [Float](repeating: .nan, count: channels * 4 * tiles), y = [Float](repeating: .nan, count: channels * plane)
            fk_winograd_output(path, m, tiles, channels * tiles, channels, th, tw, &t, 4 * tiles, 2 * tw)
            fk_winograd_output(path, m, tiles, channels * tiles, channels, th, tw, &y, plane, row)
            for c in 0..<channels {
                for r in 0..<(2 * th) {
                    let placed = (0..<(2 * tw)).map { y[c * plane + r * row + $0].bitPattern }
                    #expect(placed == (0..<(2 * tw)).map { t[(c * 2 * th + r) * 2 * tw + $0].bitPattern })
                    #expect(y[c * plane + r * row + 2 * tw].isNaN, "gap after row \(r)")
                }
            }
        }
    }
}

/// The weight gradient's output-gradient transform: its AVX2 version gives the portable version's
/// bits on every row length, and the portable version is ±(A dY A^T) with FK_WG_NEGATED's signs.
@Suite struct WinogradGradientTransformTests {
    @Test(arguments: Array(1...11))
    func gradientTransformMatchesItsDefinition(tilesW: Int) {
        for tilesH in [1 + tilesW % 3, 3] { gradientTransformMatches(tilesW: tilesW, tilesH: tilesH) }
    }

    private func gradientTransformMatches(tilesW: Int, tilesH: Int) {
        var rng = RandomSource(seed: UInt64(100 + tilesW * 10 + tilesH))
        let channels = 3, height = 2 * tilesH, width = 2 * tilesW, row = width + 3, tiles = tilesH * tilesW
        let plane = height * row + 5  // rows and channels with gaps, as in the wide-row buffer
        let dy = (0..<(channels * plane)).map { _ in rng.nextGaussian() }
        func run(_ path: fk_path) -> [Float] {
            var w = [Float](repeating: .nan, count: 16 * channels * tiles)
            fk_winograd_gradient(path, dy, plane, row, channels, tilesH, tilesW, &w, tiles, channels * tiles)
            return w
        }
        let portable = run(FK_SCALAR)
        #expect(!portable.contains { $0.isNaN }, "every value written")
        if fk_path_supported(FK_AVX2) == 1 {  // a path this CPU lacks is untested here
            #expect(run(FK_AVX2).map(\.bitPattern) == portable.map(\.bitPattern), "AVX2, \(tilesW) tiles a row")
        }
        let a: [[Float]] = [[1, 0], [1, 1], [1, -1], [0, -1]]  // A (4x2)
        for c in 0..<channels {
            for ty in 0..<tilesH {
                for tx in 0..<tilesW {
                    let block = (0..<2).map { i in (0..<2).map { j in dy[c * plane + (2 * ty + i) * row + 2 * tx + j] } }
                    for xi in 0..<16 {
                        let (i, j) = (xi / 4, xi % 4)
                        var want: Float = 0
                        for k in 0..<2 { for l in 0..<2 { want += a[i][k] * block[k][l] * a[j][l] } }
                        let sign: Float = (Int(FK_WG_NEGATED) >> xi) & 1 == 1 ? -1 : 1
                        let got = portable[xi * channels * tiles + c * tiles + ty * tilesW + tx]
                        #expect(abs(sign * got - want) <= 1e-6 * (1 + abs(want)), "c\(c) tile (\(ty), \(tx)) position \(xi)")
                    }
                }
            }
        }
    }
}
