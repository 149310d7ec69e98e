@testable import FATNNEngine
import FATNNTestSupport
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

/// Quantization-aware training end to end on real Fashion-MNIST, model files of quantized
/// networks, and fine-tuning from a full-precision model.
@Suite(.serialized) struct QuantizedTrainingTests {
    private let shape = ImageShape(channels: 1, height: 28, width: 28)

    private func quantized(_ model: Sequential) -> [QuantizedConv2d] {
        func collect(_ layers: [any Layer]) -> [QuantizedConv2d] {
            layers.flatMap { l -> [QuantizedConv2d] in
                if let q = l as? QuantizedConv2d { return [q] }
                if let b = l as? BasicBlock { return collect(b.main.layers) + collect(b.shortcut?.layers ?? []) }
                return []
            }
        }
        return collect(model.layers)
    }

    @Test func policyKeepsFirstConvAndClassifierFullPrecision() {
        let r20 = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 1, quantizer: .init(kind: .fatnn))
        #expect(r20.layers.first is Conv2d && r20.layers.last is Linear)
        #expect(quantized(r20).count == 18 + 2, "18 block convs and 2 downsampling shortcuts")
        let cnn = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 1, quantizer: .init(kind: .tnn))
        #expect(cnn.layers.first is Conv2d && quantized(cnn).count == 4)
        // Binary networks feed BatchNorm outputs to the sign: no ReLU before a quantized conv, one
        // before the classifier.
        let binary = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 1, quantizer: .init(kind: .binary))
        #expect(!binary.layers.contains { $0 is ReLU } && quantized(binary).count == 20)
        #expect(!(binary.layers[3] as! BasicBlock).main.layers.contains { $0 is ReLU })
        let binaryCNN = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 1, quantizer: .init(kind: .binary))
        #expect(binaryCNN.layers.filter { $0 is ReLU }.count == 1)
        // The same seed gives the same latent weights whatever the quantizer.
        let fp = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 1)
        #expect(quantized(cnn)[0].weight.value == (fp.layers[3] as! Conv2d).weight.value)
    }

    @Test(arguments: [QuantizerKind.fatnn, .tnn, .lsq2, .fatnnA2, .binary])
    func quantizedCNNBeatsChanceOnRealData(kind: QuantizerKind) throws {
        BLAS.setThreads(1)
        // The first 1,000 training and 500 test images of the real set: debug builds are slow.
        let data = try fashionMNISTHead(train: 1000, test: 500)
        let split = DataSplit.holdout(count: data.train.count, validationFraction: 0.05, seed: 0)
        let model = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 2, quantizer: .init(kind: kind))
        let before = quantized(model).map { $0.parameters.dropFirst().flatMap(\.value) }
        let r = Trainer(model: model, dataset: data, split: split,
                        settings: TrainingSettings(epochs: 1, batchSize: 25, learningRate: 0.05, nesterov: true, seed: 2)).run()
        print("QAT \(kind.rawValue): test accuracy \(r.testAccuracy)")
        #expect(r.testAccuracy > 0.45, "\(kind.rawValue): test accuracy \(r.testAccuracy) (chance: 0.1)")
        // The quantizers' own parameters are learned: every layer's moved.
        let after = quantized(model).map { $0.parameters.dropFirst().flatMap(\.value) }
        for (b, a) in zip(before, after) where !b.isEmpty { #expect(a != b, "\(kind.rawValue): quantizer parameters did not move") }
        if kind == .fatnn {
            let t = (quantized(model)[0].activations as! FATNNActivationQuantizer).thresholds()
            #expect(t != [0.25, 0.75], "thresholds still at their initial values")
        }
    }

    @Test func quantizedModelFileRoundTripsAndEvaluatesIdentically() throws {
        let settings = QuantizerSettings(kind: .fatnn, activationInit: 1.5, activationInitFromData: true, weightInit: 0.7,
                                         perChannelActivations: true)
        let model = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 4, quantizer: settings)
        var rng = RandomSource(seed: 4)
        let x = Matrix(rows: 3, cols: shape.count, data: (0..<(3 * shape.count)).map { _ in rng.nextGaussian() })
        _ = model.forward(x, training: true)  // running statistics move
        let path = IDXFixtures.temporaryDirectory() + "/q.fatnn"
        try ModelFile(architecture: .resnet20, dataset: .fashionMNIST, input: shape, model: model, quantizer: settings).write(to: path)
        let loaded = try ModelFile.read(from: path)
        #expect(loaded.quantizer == settings)
        #expect(loaded.model.forward(x, training: false).data == model.forward(x, training: false).data)
        let flags = loaded.model.buffers.filter { $0.name.hasSuffix("act_alpha_initialized") }
        #expect(flags.count == 20 && flags.allSatisfy { $0.value == [1] }, "a loaded network is not initialized from data again")
        // Files written before the setting existed read it as off.
        let old = #"{"kind":"fatnn","activationInit":2,"weightInit":1,"perChannelActivations":false,"perChannelWeights":false}"#
        #expect(try JSONDecoder().decode(QuantizerSettings.self, from: Data(old.utf8)) == QuantizerSettings(kind: .fatnn))
    }

    @Test func fineTuningStartsFromTheFullPrecisionWeights() throws {
        let fp = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 7)
        for (i, p) in fp.parameters.enumerated() { p.value = p.value.map { $0 + Float(i) } }
        let q = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 8, quantizer: .init(kind: .fatnn))
        let kept = try q.initialize(from: fp)
        #expect(kept.count == 4 * 2, "each quantized conv keeps its activation and weight α")
        // A network that starts from data does so when its α are its own, not when they were copied.
        let fromData = QuantizerSettings(kind: .fatnn, activationInitFromData: true)
        let own = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 8, quantizer: fromData)
        _ = try own.initialize(from: fp)
        #expect(own.buffers.filter { $0.name.hasSuffix("act_alpha_initialized") }.allSatisfy { $0.value == [0] })
        let copied = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 8, quantizer: fromData)
        _ = try copied.initialize(from: q)
        let flags = copied.buffers.filter { $0.name.hasSuffix("act_alpha_initialized") }
        #expect(flags.count == 4 && flags.allSatisfy { $0.value == [1] })
        #expect(kept.allSatisfy { $0.hasSuffix("alpha") })
        let fpValues = Dictionary(uniqueKeysWithValues: fp.parameters.map { ($0.name, $0.value) })
        for p in q.parameters where !p.name.hasSuffix("alpha") { #expect(p.value == fpValues[p.name], "\(p.name)") }
        let other = ModelArchitecture.resnet20.build(input: shape, classes: 10, seed: 1)
        #expect(throws: InitializationError.self) { try q.initialize(from: other) }
    }

    @Test func warmUpEpochsBypassTheQuantizers() throws {
        BLAS.setThreads(1)
        let data = try Dataset.load(.fashionMNIST, directory: IDXFixtures.dataset(train: 120, test: 40, gzip: false))
        let split = DataSplit.holdout(count: data.train.count, validationFraction: 0, seed: 0)
        let model = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 5, quantizer: .init(kind: .fatnn))
        let alphas: () -> [Float] = { model.quantizedConvolutions.flatMap { $0.parameters.dropFirst().flatMap(\.value) } }
        let latent: () -> [Float] = { model.quantizedConvolutions.flatMap(\.weight.value) }
        let (alpha0, latent0) = (alphas(), latent())
        let trainer = Trainer(model: model, dataset: data, split: split,
                              settings: TrainingSettings(epochs: 2, batchSize: 20, learningRate: 0.05, quantizerWarmupEpochs: 1, seed: 5))
        _ = trainer.trainEpoch()
        #expect(model.quantizedConvolutions.allSatisfy { $0.bypassed })
        #expect(alphas() == alpha0 && latent() != latent0, "warm-up trains the float weights only")
        _ = trainer.trainEpoch()
        #expect(!model.quantizedConvolutions.contains { $0.bypassed })
        #expect(alphas() != alpha0, "after warm-up the quantizers learn")
    }
}
