@testable import FATNNEngine
import FATNNVocabulary
import Testing

/// Quantized convolutions compute their forward products on the packed integer kernels (every
/// built-in kind): the outputs, and so everything trained from them, must equal the float
/// kernels' bit for bit, scales included.
@Suite struct QuantizedPackedForwardTests {
    private func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var rng = RandomSource(seed: seed)
        return Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in rng.nextGaussian() })
    }

    /// Counts of differing values (a failing array comparison would print a huge diff).
    private func differences(_ a: [Float], _ b: [Float]) -> Int { a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : -1 }

    /// One layer of every kind, strides 1 and 2, 3x3 and 1x1 kernels, channel counts across a
    /// 64-lane word: the packed forward runs (it is not nil) and equals the float one, in
    /// training and evaluation.
    @Test(arguments: [QuantizerKind.fatnn, .tnn, .lsq2, .fatnnA2, .binary],
          [(3, 1, 1, 16), (3, 2, 1, 24), (1, 2, 0, 70), (3, 1, 1, 65)])
    func layerOutputsAreBitIdentical(kind: QuantizerKind, shape: (kernel: Int, stride: Int, padding: Int, channels: Int)) {
        var rng = RandomSource(seed: 41)
        let layer = QuantizedConv2d(name: "q", input: ImageShape(channels: shape.channels, height: 9, width: 7), outChannels: 11,
                                    kernel: shape.kernel, stride: shape.stride, padding: shape.padding,
                                    quantizer: QuantizerSettings(kind: kind), rng: &rng)
        let x = random(5, layer.input.count, seed: 42)
        for training in [true, false] {
            layer.forwardOnPackedKernels = true
            let (codes, scales) = layer.quantizedWeights(training: training)
            #expect(layer.packedForward(x, codes: codes, scales: scales) != nil, "the packed path must apply to \(kind)")
            let packed = layer.forward(x, training: training)
            layer.forwardOnPackedKernels = false
            let float = layer.forward(x, training: training)
            #expect(differences(packed.data, float.data) == 0, "training: \(training)")
            #expect(float.data.contains { $0 != 0 })
        }
    }

    /// Three SGD steps of a quantized network on the packed forward and on the float one: the
    /// same logits and gradients at every step, and the same weights after.
    @Test(arguments: [ModelArchitecture.cnnS, .resnet20], [QuantizerKind.fatnn, .tnn, .lsq2, .fatnnA2, .binary])
    func trainingIsBitIdentical(architecture: ModelArchitecture, kind: QuantizerKind) {
        let shape = ImageShape(channels: 1, height: 28, width: 28), settings = QuantizerSettings(kind: kind)
        let packed = architecture.build(input: shape, classes: 10, seed: 12, quantizer: settings)
        let float = architecture.build(input: shape, classes: 10, seed: 12, quantizer: settings)
        for layer in float.leafLayers { (layer as? QuantizedConv2d)?.forwardOnPackedKernels = false }
        let optimizers = (SGD(momentum: 0.9, nesterov: false, weightDecay: 5e-4), SGD(momentum: 0.9, nesterov: false, weightDecay: 5e-4))
        for step in 0..<3 {
            let x = random(6, shape.count, seed: 13 + UInt64(step)), labels = [0, 2, 4, 6, 8, 9]
            let logits = [packed, float].map { model -> Matrix in
                for p in model.parameters { p.zeroGrad() }
                let y = model.forward(x, training: true)
                model.backward(SoftmaxCrossEntropy.evaluate(logits: y, labels: labels).grad)
                return y
            }
            #expect(differences(logits[0].data, logits[1].data) == 0, "step \(step)")
            // Before the steps: SGD adds weight decay into the gradients.
            for (a, b) in zip(packed.parameters, float.parameters) {
                #expect(differences(a.grad, b.grad) == 0, "step \(step): \(a.name)")
            }
            optimizers.0.step(packed.parameters, learningRate: 0.05)
            optimizers.1.step(float.parameters, learningRate: 0.05)
        }
        for (a, b) in zip(packed.parameters, float.parameters) { #expect(differences(a.value, b.value) == 0, "\(a.name)") }
        let evalX = random(3, shape.count, seed: 30)
        #expect(differences(packed.forward(evalX, training: false).data, float.forward(evalX, training: false).data) == 0)
    }
}
