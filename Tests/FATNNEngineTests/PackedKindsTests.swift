@testable import FATNNEngine
import FATNNVocabulary
import Testing

/// Every quantizer kind packed (`tnn` on the 2- and the 4-popcount ternary kernels, `lsq2` on the
/// signed 2-bit kernel, `fatnn-a2` on the 2-bit x ternary kernel, `binary` on XNOR; the kernels'
/// hand-computed vectors are in `PackedKernelTests`): packed convs against the float conv of the codes times the layer's
/// scales (binary with its +1 padding), and scrambled networks equal to the training-time network
/// code for code and logit bit for logit bit on every CPU path. Equality, not closeness.
@Suite struct PackedKindsTests {
    /// A packed conv of each kernel kind against the engine's float conv of the codes (padded with
    /// the kind's zero-input code: +1 for binary), times per-channel scales; odd channel counts,
    /// more than one word per pixel, stride 2, padding 2.
    @Test(arguments: [PackedKernel.Kind.tnn4, .twoBitSigned, .fatnnA2, .binary],
          [(3, 5, 5, 4, 3, 1, 1), (70, 4, 5, 3, 3, 1, 1), (16, 7, 6, 8, 3, 2, 1), (5, 3, 3, 2, 3, 1, 2), (32, 7, 7, 5, 1, 2, 0)])
    func packedConvEqualsFloatConvOfCodes(kind: PackedKernel.Kind, cfg: (Int, Int, Int, Int, Int, Int, Int)) {
        let (cin, h, w, cout, k, stride, pad) = cfg
        var rng = RandomSource(seed: UInt64(cin * 31 + h * 7 + k) &+ UInt64(kind.activationEncoding))
        let shape = ImageShape(channels: cin, height: h, width: w)
        let conv = Conv2d(name: "c", input: shape, outChannels: cout, kernel: k, stride: stride, padding: pad, rng: &rng)
        let weightCodes = (0..<conv.weight.value.count).map { _ in PackedKernel.randomWeightCode(kind, &rng) }
        conv.weight.value = weightCodes.map(Float.init)
        conv.padValue = kind == .binary ? 1 : 0
        let images = 3
        let codes = (0..<images * shape.count).map { _ in PackedKernel.randomActivationCode(kind, &rng) }
        let scales = (0..<cout).map { _ in 0.01 + rng.nextUnitFloat() }
        var expected = conv.forward(Matrix(rows: images, cols: shape.count, data: codes.map(Float.init)), training: false)
        QuantizedConv2d.scaleChannels(&expected, scales, plane: conv.output.plane)
        let packed = PackedConv(input: shape, outChannels: cout, kernel: k, stride: stride, padding: pad, weightCodes: weightCodes,
                                kind: kind, scales: scales)
        let bytes = codes.map { UInt8(bitPattern: $0) }
        for path in PackedKernel.Path.supported {
            let y = packed.floats(raw: packed.accumulate(bytes, images: images, path: path), images: images)
            let differ = zip(y.data, expected.data).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0 && y.data.count == expected.data.count, "\(kind) \(cfg) on \(path): \(differ) values differ")
        }
        // The runs hold the codes, and give them back.
        let runs = PackedRuns(codes: bytes, shape: shape, images: images, padding: pad, kind: kind)
        #expect(runs.codes() == bytes)
    }

    /// Runs written straight from floats by each quantizer's C twin equal runs of the codes the
    /// quantizer itself gives, ties included (x/s on .5 for LSQ, 0 and −0 for binary, values on a
    /// FATNN ramp's threshold), on odd shapes and more than one word per pixel, on every path.
    @Test func quantizedRunsEqualTheQuantizersCodes() {
        var rng = RandomSource(seed: 9)
        for (cin, h, w, pad) in [(3, 5, 7, 1), (70, 3, 17, 2), (16, 4, 4, 0)] {
            let shape = ImageShape(channels: cin, height: h, width: w)
            let lsq3 = LSQActivationQuantizer(name: "a", shape: shape, levels: 3), lsq4 = LSQActivationQuantizer(name: "b", shape: shape, levels: 4)
            lsq3.step.value = [0.5]
            lsq4.step.value = [-0.25]
            let a2 = FATNNActivationQuantizer(name: "c", shape: shape, steps: 3, perChannel: true, initial: 2)
            for i in a2.alpha.value.indices { a2.alpha.value[i] = 1 + 2 * rng.nextUnitFloat() }
            let ternary = FATNNActivationQuantizer(name: "d", shape: shape, steps: 2, perChannel: false, initial: 2)
            let cases: [(any ActivationQuantizer, PackedKernel.Kind)] = [
                (lsq3, .fatnn), (lsq3, .tnn4), (lsq4, .twoBitSigned), (a2, .fatnnA2), (BinaryActivationQuantizer(shape: shape), .binary),
                (ternary, .tnn4),
            ]
            let ties: [Float] = [0.25, 0.75, 1.25, 0, -0.0, 0.125, 0.375, 0.625]
            let x = Matrix(rows: 3, cols: shape.count) { v in
                for i in v.indices { v[i] = i % 5 == 0 ? ties[i / 5 % ties.count] : 1.5 * rng.nextGaussian() }
            }
            for (q, kind) in cases {
              for path in PackedKernel.Path.supported {
                let runs = PackedRuns.encode(x, with: q, shape: shape, kind: kind, padding: pad, path: path)
                let expected = q.codeForward(x, training: false).data.map { UInt8(bitPattern: Int8($0)) }
                // FATNN's ternary quantizer writes fatnn runs, which a tnn4 conv converts.
                #expect(runs.kind.activationEncoding == kind.activationEncoding || (runs.kind == .fatnn && kind == .tnn4))
                #expect(runs.codes() == expected, "\(type(of: q)) into \(kind), cin \(cin), \(path)")
                let bytes = PackedRuns(codes: expected, shape: shape, images: 3, padding: pad, kind: runs.kind)
                #expect(runs.mask == bytes.mask && (kind == .binary || runs.sign == bytes.sign), "borders and lanes too: \(kind) on \(path)")
              }
            }
        }
    }

    /// FATNN runs converted to thermometer runs pack the same windows as thermometer runs made
    /// from the codes.
    @Test func thermometerRunsEqualRunsFromCodes() {
        var rng = RandomSource(seed: 5)
        for (cin, pad) in [(3, 1), (16, 1), (70, 2)] {
            let shape = ImageShape(channels: cin, height: 5, width: 4)
            let bytes = (0..<2 * shape.count).map { _ in UInt8(PackedKernel.randomActivationCode(.tnn4, &rng)) }
            let fromFATNN = PackedRuns(codes: bytes, shape: shape, images: 2, padding: pad, kind: .fatnn).thermometer()
            let direct = PackedRuns(codes: bytes, shape: shape, images: 2, padding: pad, kind: .tnn4)
            #expect(fromFATNN.mask == direct.mask && fromFATNN.sign == direct.sign, "cin \(cin)")
            #expect(fromFATNN.codes() == bytes)
        }
    }

    /// The network variants: a quantizer kind, and the ternary kernel its ternary convs use.
    static let variants: [(QuantizerKind, PackedKernel.Kind)] = [
        (.tnn, .fatnn), (.tnn, .tnn4), (.fatnn, .tnn4), (.lsq2, .fatnn), (.fatnnA2, .fatnn), (.binary, .fatnn),
    ]

    /// resnet20 (28x28: 7x7 maps in its last stage, 1x1 downsampling shortcuts) of each kind with
    /// scrambled BatchNorm statistics (negative and zero γ) and quantizer steps: every code and
    /// every logit bit equal to the training-time network in eval mode, on every CPU path.
    @Test(arguments: 0..<variants.count)
    func scrambledResNet20IsBitExact(variant: Int) throws {
        let (kind, ternary) = PackedKindsTests.variants[variant]
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let net = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 5, quantizer: .init(kind: kind))
        var rng = RandomSource(seed: 17 + UInt64(variant))
        scrambleNetwork(net.layers, &rng, meanSpread: 4, varianceSpread: 4)
        let images = Matrix(rows: 3, cols: shape.count) { x in for i in x.indices { x[i] = rng.nextGaussian() } }
        let packed = try PackedNetwork(net, ternaryKernel: ternary)
        let ternaryKind = kind == .tnn || kind == .fatnn
        #expect(packed.counts.convs == 20 && packed.counts.folds == (ternaryKind ? 9 : 0), "\(kind): \(packed.counts)")
        let expectedKernel: PackedKernel.Kind = ternaryKind ? ternary : (kind == .lsq2 ? .twoBitSigned : kind == .binary ? .binary : .fatnnA2)
        #expect(packed.convs.allSatisfy { $0.weights.kind == expectedKernel })
        for path in PackedKernel.Path.supported {
            packed.path = path
            let v = packed.verify(net, against: images, batch: 2)
            #expect(v.exact, "\(kind) on \(ternary), \(path): \(v)")
            #expect(v.codeArrays == 40 && v.images == 3)
        }
    }

    /// Packing refuses a kernel that is not a ternary one for the ternary convs.
    @Test func onlyTernaryKernelsServeTernaryConvs() {
        let net = ModelArchitecture.cnnS.build(input: ImageShape(channels: 1, height: 28, width: 28), classes: 10, seed: 1,
                                               quantizer: .init(kind: .tnn))
        #expect(throws: PackedNetwork.Error.self) { try PackedNetwork(net, ternaryKernel: .twoBit) }
    }
}
