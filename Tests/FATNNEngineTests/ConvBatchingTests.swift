@testable import FATNNEngine
import FATNNVocabulary
import Testing

/// Convolutions over a batch match one image at a time, and evaluation and training fuse
/// `Conv2d → BatchNorm → ReLU`: none of it may show in the results.
@Suite struct ConvBatchingTests {
    private func random(_ rows: Int, _ cols: Int, seed: UInt64, scale: Float = 1) -> Matrix {
        var rng = RandomSource(seed: seed)
        return Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in rng.nextGaussian() * scale })
    }

    /// 9 images of 5x4 through the tap path, strides 1 to 3: forward equals the direct
    /// convolution, and backward equals the sum of one-image backward passes.
    @Test(arguments: [(3, 1, 1), (5, 1, 2), (2, 1, 1), (3, 2, 1), (1, 2, 0), (3, 2, 0), (4, 3, 2)])
    func batchesMatchOneImageAtATime(kernel: Int, stride: Int, padding: Int) {
        var rng = RandomSource(seed: 77)
        let conv = Conv2d(name: "c", input: ImageShape(channels: 3, height: 5, width: 4), outChannels: 4,
                          kernel: kernel, stride: stride, padding: padding, rng: &rng)
        let x = random(9, conv.input.count, seed: 78)
        let y = conv.forward(x, training: true), direct = naiveConv(x, conv)
        for i in y.data.indices { #expect(abs(y.data[i] - direct.data[i]) < 1e-4, "forward \(i)") }
        let g = random(9, conv.output.count, seed: 79)
        conv.weight.zeroGrad()
        let dx = conv.backward(g)
        let batchGrad = conv.weight.grad
        var summed = [Float](repeating: 0, count: batchGrad.count)
        for b in 0..<9 {
            conv.weight.zeroGrad()
            let xb = Matrix(rows: 1, cols: x.cols, data: Array(x.data[(b * x.cols)..<((b + 1) * x.cols)]))
            _ = conv.forward(xb, training: true)
            let dxb = conv.backward(Matrix(rows: 1, cols: g.cols, data: Array(g.data[(b * g.cols)..<((b + 1) * g.cols)])))
            for i in dxb.data.indices {
                #expect(abs(dxb.data[i] - dx.data[b * x.cols + i]) < 1e-5, "input gradient of image \(b) at \(i)")
            }
            for i in summed.indices { summed[i] += conv.weight.grad[i] }
        }
        for i in summed.indices { #expect(abs(summed[i] - batchGrad[i]) <= 1e-4 * max(1, abs(summed[i])), "weight grad \(i)") }
    }

    /// Evaluation with fused convolutions equals running every layer on its own over the whole
    /// batch, bit for bit, on networks with non-trivial BatchNorm statistics: also with the batch
    /// split over threads and run a few images at a time (37 images: uneven parts and passes).
    @Test(arguments: [ModelArchitecture.cnnS, .resnet20])
    func fusedEvaluationIsBitIdentical(architecture: ModelArchitecture) {
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let model = architecture.build(input: shape, classes: 10, seed: 5)
        let x = random(37, shape.count, seed: 6)
        _ = model.forward(x, training: true)  // moves the running statistics off 0 and 1
        var rng = RandomSource(seed: 7)
        for p in model.parameters where p.name.contains("bn") || p.name.contains("shortcut.1") {
            for i in p.value.indices { p.value[i] += rng.nextGaussian() * 0.3 }
        }
        func unfused(_ layers: [any Layer], _ h: Matrix) -> Matrix {
            layers.reduce(h) { h, layer in
                if let block = layer as? BasicBlock {
                    var y = unfused(block.main.layers, h)
                    let s = block.shortcut.map { unfused($0.layers, h) } ?? h
                    for i in y.data.indices { y.data[i] += s.data[i] }
                    return block.relu?.forward(y, training: false) ?? y
                }
                return layer.forward(h, training: false)
            }
        }
        let reference = unfused(model.layers, x).data.map(\.bitPattern)
        #expect(Set(reference).count > 100, "the logits vary")
        #expect(Sequential.evaluatesPerImage(model.layers[0]) && !Sequential.evaluatesPerImage(model.layers.last!))
        for (threads, perPass) in [(1, 1000), (1, 16), (2, 16), (3, 5), (2, 1), (2, 1000), (3, 1000)] {
            let y = model.inferenceForward(x, threads: threads, imagesPerPass: perPass).data.map(\.bitPattern)
            #expect(y.count == reference.count && zip(y, reference).filter { $0 != $1 }.isEmpty,
                    "\(threads) threads, \(perPass) images per pass")
        }
        #expect(model.forward(x, training: false).data.map(\.bitPattern) == reference)
        // One image: every layer on the calling thread, whatever the thread count.
        let one = Matrix(rows: 1, cols: x.cols, data: Array(x.data[..<x.cols]))
        let oneReference = unfused(model.layers, one).data.map(\.bitPattern)
        for threads in [1, 2] {
            #expect(model.inferenceForward(one, threads: threads, imagesPerPass: 16).data.map(\.bitPattern) == oneReference)
        }
    }

    /// A training step with its fusions (`BatchNorm → ReLU` forward; `Conv2d → BatchNorm`
    /// backward, where the convolution writes the BatchNorm's input gradient into its wide rows)
    /// gives the same parameter and input gradients, bit for bit, as running every layer on its
    /// own: plain and quantized, with stride-2 convolutions and 1x1 shortcuts in resnet20.
    @Test(arguments: [ModelArchitecture.cnnS, .resnet20], [QuantizerKind.fp, .fatnn, .lsq2])
    func fusedTrainingStepIsBitIdentical(architecture: ModelArchitecture, kind: QuantizerKind) {
        let shape = ImageShape(channels: 1, height: 28, width: 28), settings = QuantizerSettings(kind: kind)
        let fused = architecture.build(input: shape, classes: 10, seed: 8, quantizer: settings)
        let apart = architecture.build(input: shape, classes: 10, seed: 8, quantizer: settings)
        // With the direct kernels (the default where the CPU has them), every convolution takes
        // the fused path (else this would test nothing); elsewhere both sides materialize.
        let convolutions = fused.leafLayers.compactMap { ($0 as? Conv2d) ?? ($0 as? QuantizedConv2d)?.conv }
        #expect(convolutions.count >= 5)
        if FloatConvolution.defaultPath == .direct { #expect(convolutions.filter { !$0.fusesBatchNormGradient }.isEmpty) }
        let x = random(4, shape.count, seed: 9), labels = [1, 3, 5, 7]
        let logits = fused.forward(x, training: true)
        let dxFused = fused.backward(SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels).grad)
        let h = Self.forwardApart(apart.layers, x)
        #expect(h.data.elementsEqual(logits.data))
        let dxApart = Self.backwardApart(apart.layers, SoftmaxCrossEntropy.evaluate(logits: h, labels: labels).grad)
        // Counts of differing values (a failing array comparison would print a huge diff).
        func differences(_ a: [Float], _ b: [Float]) -> Int { a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : -1 }
        for (a, b) in zip(fused.parameters, apart.parameters) {
            #expect(differences(a.grad, b.grad) == 0, "\(a.name)")
            if a.name.hasSuffix(".weight") { #expect(a.grad.contains { $0 != 0 }, "\(a.name) got no gradient") }
        }
        #expect(differences(dxFused.data, dxApart.data) == 0)
    }

    /// Training forward through every layer on its own (blocks opened up as in ``BasicBlock``).
    private static func forwardApart(_ layers: [any Layer], _ x: Matrix) -> Matrix {
        layers.reduce(x) { h, layer in
            guard let block = layer as? BasicBlock else { return layer.forward(h, training: true) }
            let y = forwardApart(block.main.layers, h), s = block.shortcut.map { forwardApart($0.layers, h) } ?? h
            return BasicBlock.join(y, s, relu: block.relu, training: true)
        }
    }

    /// Backward through every layer on its own, in the order ``BasicBlock/backward(_:)`` sums.
    private static func backwardApart(_ layers: [any Layer], _ gradient: Matrix) -> Matrix {
        layers.reversed().reduce(gradient) { g, layer in
            guard let block = layer as? BasicBlock else { return layer.backward(g) }
            let joined = block.relu?.backward(g) ?? g
            var dx = backwardApart(block.main.layers, joined)
            dx.add(block.shortcut.map { backwardApart($0.layers, joined) } ?? joined)
            return dx
        }
    }
}
