@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

/// Packed deployment (`FATNN.md` §5): packed convolutions equal the float convolution of the
/// codes, folded thresholds equal the float path they replace, and packed networks give the same
/// codes at every quantized conv, the same logits and the same predictions as the training-time
/// network in eval mode. Equality, not closeness.
@Suite struct PackedNetworkTests {
    /// Packed windows (channel runs not a multiple of 64, more than one word per pixel, 1x1 and
    /// 3x3, stride 2, padding on all edges) against the engine's float conv over the same codes.
    @Test(arguments: [(3, 5, 5, 4, 3, 1, 1), (16, 7, 6, 8, 3, 2, 1), (70, 4, 5, 3, 3, 1, 1), (32, 7, 7, 5, 1, 2, 0), (5, 3, 3, 2, 3, 1, 2)])
    func packedConvEqualsFloatConvOfCodes(cfg: (Int, Int, Int, Int, Int, Int, Int)) {
        let (cin, h, w, cout, k, stride, pad) = cfg
        var rng = RandomSource(seed: UInt64(cin * 31 + h * 7 + k))
        let shape = ImageShape(channels: cin, height: h, width: w)
        let conv = Conv2d(name: "c", input: shape, outChannels: cout, kernel: k, stride: stride, padding: pad, rng: &rng)
        let weightCodes = (0..<conv.weight.value.count).map { _ in PackedKernel.randomWeightCode(.fatnn, &rng) }
        conv.weight.value = weightCodes.map(Float.init)
        let images = 3
        let codes = (0..<images * shape.count).map { _ in UInt8(PackedKernel.randomActivationCode(.fatnn, &rng)) }
        let expected = conv.forward(Matrix(rows: images, cols: shape.count, data: codes.map(Float.init)), training: false)
        let packed = PackedConv(input: shape, outChannels: cout, kernel: k, stride: stride, padding: pad, weightCodes: weightCodes)
        #expect(packed.output == conv.output)
        for path in PackedKernel.Path.supported {
            let y = packed.floats(raw: packed.accumulate(codes, images: images, path: path), images: images)
            #expect(y == expected, "\(cfg) on \(path)")
        }
    }

    /// BatchNorm → ReLU → ternary quantizer with γ > 0, γ < 0 and γ = 0, folded, against the float
    /// path on every accumulator value.
    @Test func foldedThresholdsEqualTheFloatPath() throws {
        let c = 4, spatial = 3, zMax = 50
        let bn = BatchNorm(name: "bn", features: c, spatial: spatial)
        bn.gamma.value = [0.07, -0.05, 0, 0.031]
        bn.beta.value = [0.1, 0.6, 0.4, -0.2]
        bn.runningMean.value = [3, -2, 0, 10.5]
        bn.runningVar.value = [4, 2.5, 1, 9]
        let relu = ReLU()
        let q = FATNNActivationQuantizer(name: "q", shape: ImageShape(channels: c, height: 1, width: spatial), steps: 2,
                                         perChannel: false, initial: 2)
        q.alpha.value = [2.5, 1.5]
        let path: (Matrix) -> Matrix = { q.forward(relu.forward(bn.forward($0, training: false), training: false), training: false) }
        let sums: [Int32] = [3, -1, 0, 7]
        let t = try FoldedThresholds.derive(channels: c, spatial: spatial, zMax: zMax, rowSums: sums, floatPath: path)
        #expect(t.direction == [1, -1, 1, 1])
        var seen = Set<[UInt8]>()
        for z in -zMax...zMax {
            let x = Matrix(rows: 1, cols: c * spatial, data: [Float](repeating: Float(z), count: c * spatial))
            let expected = path(x).data.map { UInt8($0) }
            // raw = z − Σw, row-major channels x spatial.
            let raw = (0..<c).flatMap { m in [Int32](repeating: Int32(z) - sums[m], count: spatial) }
            let got = t.codes(raw: raw, images: 1, spatial: spatial)
            #expect(got == expected, "z = \(z)")
            seen.insert(got)
        }
        #expect(seen.count > 3, "the range covers several code changes")
    }

    /// A fatnn resnet20 with scrambled BatchNorm statistics (negative and zero γ among them) and
    /// quantizer steps, per layer and per channel: every code and every logit bit equal on every
    /// CPU path.
    @Test(arguments: [false, true])
    func scrambledResNet20IsBitExact(perChannel: Bool) throws {
        BLAS.setThreads(1)
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let net = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 5,
                                                   quantizer: .init(kind: .fatnn, perChannelActivations: perChannel,
                                                                    perChannelWeights: perChannel))
        var rng = RandomSource(seed: 11)
        scrambleNetwork(net.layers, &rng)
        let images = Matrix(rows: 3, cols: shape.count) { x in for i in x.indices { x[i] = rng.nextGaussian() } }
        let packed = try PackedNetwork(net)
        #expect(packed.counts.convs == 20 && packed.counts.folds == 9, "\(packed.counts)")
        for path in PackedKernel.Path.supported {
            packed.path = path
            let v = packed.verify(net, against: images, batch: 2)
            #expect(v.exact, "\(path): \(v)")
            #expect(v.codeArrays == 40 && v.images == 3)
        }
    }

    /// A batch split over threads by whole images (each running the program up to the
    /// classifier a few images per pass, the classifier then on the whole batch) gives the same
    /// logits, bit for bit, as the batch run layer by layer.
    @Test func splittingTheBatchByImagesGivesTheSameLogits() throws {
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let net = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 9, quantizer: .init(kind: .fatnn))
        var rng = RandomSource(seed: 13)
        scrambleNetwork(net.layers, &rng)
        let n = 19
        let images = Matrix(rows: n, cols: shape.count) { x in for i in x.indices { x[i] = rng.nextGaussian() } }
        let packed = try PackedNetwork(net)
        let layered = packed.forward(images, codes: { _ in })  // codes keep the layer-by-layer run
        for threads in [1, 2, 3] {  // 1: 19 images in passes of 16 and 3
            let split = packed.forwardSplittingImages(images, threads: threads)
            #expect(split.rows == n && split.cols == 10)
            #expect(split.data.map(\.bitPattern) == layered.data.map(\.bitPattern), "\(threads) threads")
        }
        #expect(Set(layered.data).count > 10, "the logits vary")
        // Batches below the thread count (a share per image, one image on the calling thread).
        for m in [1, 2] {
            let few = Matrix(rows: m, cols: shape.count, data: Array(images.data[..<(m * shape.count)]))
            let alone = packed.forward(few, codes: { _ in })
            #expect(packed.forwardSplittingImages(few, threads: 3).data.map(\.bitPattern) == alone.data.map(\.bitPattern), "\(m) images")
        }
        #expect(packed.classifierStart < packed.program.count, "the classifier is left out of the split")
        #expect(packed.splittable, "every step of resnet20 before its classifier is per image")
        // Any batch splits by images with several threads (one image: a share of one, on the
        // calling thread); one thread never splits.
        #expect([1, 2, 7, 64].allSatisfy { packed.splitsBatch(ofRows: $0, threads: 2) })
        #expect(![1, 64].contains { packed.splitsBatch(ofRows: $0, threads: 1) })
    }

    /// The packed model file: what it reads back is the same packed network (bit-exact against
    /// the source), and truncated, altered or foreign files are rejected with their name.
    @Test func packedModelFileRoundTripsAndRejectsDamage() throws {
        BLAS.setThreads(1)
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let net = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 6, quantizer: .init(kind: .fatnn))
        var rng = RandomSource(seed: 12)
        scrambleNetwork(net.layers, &rng)
        let file = ModelFile(architecture: .resnet20, dataset: .fashionMNIST, input: shape, model: net, quantizer: .init(kind: .fatnn))
        let bytes = try PackedModelFile.export(file)
        #expect(PackedModelFile.isPacked(bytes))
        let back = try PackedModelFile.decode(bytes, name: "r20.fatnnp")
        let fresh = try PackedNetwork(net)
        #expect(back.network.convs.map(\.weights) == fresh.convs.map(\.weights))
        #expect(back.network.folds == fresh.folds && back.network.counts.folds == 9)
        let images = Matrix(rows: 2, cols: shape.count) { x in for i in x.indices { x[i] = rng.nextGaussian() } }
        let v = back.network.verify(back.source.model, against: images)
        #expect(v.exact, "\(v)")
        func rejected(_ data: Data, _ words: String) {
            do {
                _ = try PackedModelFile.decode(data, name: "r20.fatnnp")
                Issue.record("accepted a damaged file (\(words))")
            } catch {
                #expect("\(error)".contains("r20.fatnnp") && "\(error)".contains(words), "\(error)")
            }
        }
        rejected(bytes.prefix(bytes.count - 100), "checksum")
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        rejected(flipped, "checksum")
        rejected(try file.encoded(), "bad magic")
    }

    /// A cnn-s trained with the fatnn quantizer on real Fashion-MNIST: the packed network agrees
    /// with it on 300 test images (every other kind: `PackedKindsTests`).
    @Test func trainedCNNIsBitExactOnRealData() throws {
        BLAS.setThreads(1)
        let data = try fashionMNISTHead(train: 600, test: 300)
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let model = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 3, quantizer: .init(kind: .fatnn))
        let split = DataSplit.holdout(count: data.train.count, validationFraction: 0.1, seed: 0)
        let r = Trainer(model: model, dataset: data, split: split,
                        settings: TrainingSettings(epochs: 2, batchSize: 30, learningRate: 0.05, seed: 3)).run()
        #expect(r.testAccuracy > 0.3)
        let packed = try PackedNetwork(model)
        #expect(packed.counts.convs == 4 && packed.counts.folds == 1)
        let (test, labels) = DatasetName.fashionMNIST.normalization.batch(data.test, indices: Array(0..<300)[...])
        let v = packed.verify(model, against: test, labels: labels)
        #expect(v.exact && v.images == 300, "\(v)")
        // Bit-exact logits: the packed accuracy is the trained network's.
        #expect(abs(Double(v.packedCorrect) / 300 - r.testAccuracy) < 1e-9, "\(v.packedCorrect) vs \(r.testAccuracy)")

    }

    /// `bench inference --profile`'s per-shape comparison groups resnet20's 20 packed convs into
    /// its 7 geometries with their counts and MACs, for the 2- and the 4-popcount kernel (whose
    /// convs take fatnn runs and widen them), and times both sides.
    @Test(arguments: [PackedKernel.Kind.fatnn, .tnn4])
    func convComparisonCoversEveryGeometry(kernel: PackedKernel.Kind) throws {
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let net = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 2, quantizer: .init(kind: .fatnn))
        let packed = try PackedNetwork(net, ternaryKernel: kernel)
        let rows = packed.compareConvs(images: 1, path: .scalar, rounds: 1, minSeconds: 0)
        #expect(rows.map(\.shape) == ["16x28x28 -> 16x28x28, k3 s1 p1", "16x28x28 -> 32x14x14, k3 s2 p1", "32x14x14 -> 32x14x14, k3 s1 p1",
                                      "16x28x28 -> 32x14x14, k1 s2 p0", "32x14x14 -> 64x7x7, k3 s2 p1", "64x7x7 -> 64x7x7, k3 s1 p1",
                                      "32x14x14 -> 64x7x7, k1 s2 p0"])
        #expect(rows.map(\.layers) == [6, 1, 5, 1, 1, 5, 1])
        #expect(rows.map(\.macs) == [16 * 144 * 784, 32 * 144 * 196, 32 * 288 * 196, 32 * 16 * 196, 64 * 288 * 49, 64 * 576 * 49, 64 * 32 * 49])
        #expect(rows.allSatisfy { $0.kernel == kernel.rawValue && $0.packedSeconds > 0 && $0.floatSeconds > 0 })
    }
}
