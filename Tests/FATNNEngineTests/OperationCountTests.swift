@testable import FATNNEngine
import FATNNVocabulary
import Testing

@Suite struct OperationCountTests {
    @Test func countsConvolutionsLinearLayersAndBlocks() {
        var rng = RandomSource(seed: 1)
        let input = ImageShape(channels: 1, height: 28, width: 28)
        let conv = Conv2d(name: "c", input: input, outChannels: 4, kernel: 3, padding: 1, rng: &rng)
        let q = QuantizedConv2d(name: "q", input: conv.output, outChannels: 8, kernel: 3, stride: 2, padding: 1,
                                quantizer: QuantizerSettings(kind: .fatnn), rng: &rng)
        let fc = Linear(name: "fc", inFeatures: 8 * 14 * 14, outFeatures: 10, bias: true, rng: &rng)
        let ops = OperationCount(Sequential([conv, q, fc]), kind: .fatnn)
        #expect(ops.floatMACs == 28 * 28 * 4 * 9 + 8 * 14 * 14 * 10)
        #expect(ops.quantizedMACs == 14 * 14 * 8 * 4 * 9)
        #expect(ops.bitOps == Double(ops.floatMACs) * 1024 + Double(ops.quantizedMACs) * 4)
    }

    @Test func resnet20HasItsKnownMACsAndQuantizationCutsBitOps() {
        // CIFAR-10 resnet20: about 40.6 million MACs per 32x32 image.
        let input = ImageShape(channels: 3, height: 32, width: 32)
        let fp = OperationCount(ModelArchitecture.resnet20.build(input: input, classes: 10, seed: 1), kind: .fp)
        #expect(fp.quantizedMACs == 0 && abs(Double(fp.floatMACs) - 40.6e6) < 0.5e6, "\(fp.floatMACs)")
        let t = OperationCount(ModelArchitecture.resnet20.build(input: input, classes: 10, seed: 1, quantizer: QuantizerSettings(kind: .fatnn)), kind: .fatnn)
        #expect(t.floatMACs + t.quantizedMACs == fp.floatMACs, "quantizing moves MACs, it does not add any")
        #expect(t.bitOps < fp.bitOps / 50)
        let b = OperationCount(ModelArchitecture.resnet20.build(input: input, classes: 10, seed: 1, quantizer: QuantizerSettings(kind: .binary)), kind: .binary)
        #expect(b.bitOps < t.bitOps)
    }
}
