import FATNNVocabulary

/// Multiply-accumulates of one forward pass for one image, and the bit-operations they cost:
/// `BOPs = MACs x weight bits x activation bits` (32 x 32 for float layers; the first convolution
/// and the classifier stay float in quantized networks). Ternary and 2-bit codes count 2 bits
/// each, binary 1. This is the usual hardware-neutral cost; measured packed latency is the real one.
public struct OperationCount: Sendable, Equatable, Codable {
    /// MACs in float layers.
    public var floatMACs: Int
    /// MACs in quantized convolutions.
    public var quantizedMACs: Int
    /// Bit-operations of all layers.
    public var bitOps: Double

    /// The count of `model`, a network whose quantized convolutions use `kind`.
    public init(_ model: Sequential, kind: QuantizerKind) {
        var float = 0, quantized = 0
        for layer in model.leafLayers {
            switch layer {
            case let c as QuantizedConv2d: quantized += Self.macs(c.conv)
            case let c as Conv2d: float += Self.macs(c)
            case let l as Linear: float += l.inFeatures * l.outFeatures
            default: break
            }
        }
        floatMACs = float
        quantizedMACs = quantized
        let bits = Self.bits(kind)
        bitOps = Double(float) * 32 * 32 + Double(quantized) * Double(bits.weights * bits.activations)
    }

    /// Bits of a weight and of an activation code.
    public static func bits(_ kind: QuantizerKind) -> (weights: Int, activations: Int) {
        switch kind {
        case .fp: return (32, 32)
        case .fatnn, .tnn, .lsq2, .fatnnA2: return (2, 2)
        case .binary: return (1, 1)
        }
    }

    static func macs(_ c: Conv2d) -> Int {
        c.output.height * c.output.width * c.output.channels * c.input.channels * c.kernel * c.kernel
    }
}
