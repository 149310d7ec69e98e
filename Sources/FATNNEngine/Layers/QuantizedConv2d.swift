/// A convolution that quantizes its own input and its weights (`FATNN.md` §3), then convolves
/// the quantized values (for FATNN: the integer codes, exactly, in float arithmetic).
///
/// The float input is zero-padded by the convolution after quantization; every activation
/// quantizer here maps 0 to the code 0, so this equals padding before quantizing. The latent
/// float weights are the learnable parameter (named like an unquantized conv's, so a
/// full-precision checkpoint initializes them); the quantizers' parameters come after it.
public final class QuantizedConv2d: Layer {
    /// The convolution over quantized values; its weight holds the current quantized weights.
    public let conv: Conv2d
    /// Latent full-precision weights, `Cout x (Cin·k·k)`.
    public let weight: Parameter
    public let activations: any ActivationQuantizer
    public let weights: any WeightQuantizer
    /// The layer's name (its parameters are `name.weight`, …).
    public let name: String
    /// When true, the layer is a plain full-precision convolution of its latent weights (the
    /// quantizers' warm-up epochs); their parameters then get no gradient.
    public var bypassed = false
    private var lastForwardBypassed = false
    /// Called with the activation codes of every quantized forward pass (NCHW, one byte per
    /// value), for checking a packed network against this one; nil by default. Only meaningful
    /// for quantizers whose values are the codes themselves (`fatnn`).
    public var codeObserver: (([UInt8]) -> Void)?

    public var input: ImageShape { conv.input }
    public var output: ImageShape { conv.output }

    /// A quantized conv named `name` (parameters `name.weight`, then the quantizers').
    public init(name: String, input: ImageShape, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                quantizer: QuantizerSettings, rng: inout RandomSource) {
        self.name = name
        conv = Conv2d(name: name, input: input, outChannels: outChannels, kernel: kernel, stride: stride,
                      padding: padding, rng: &rng)
        weight = Parameter(name: "\(name).weight", value: conv.weight.value, decays: true)
        activations = quantizer.activationQuantizer(prefix: name, shape: input)
        weights = quantizer.weightQuantizer(prefix: name, outChannels: outChannels, fanIn: input.channels * kernel * kernel)
    }

    public var parameters: [Parameter] { [weight] + activations.parameters + weights.parameters }
    public var buffers: [Buffer] { activations.buffers + weights.buffers }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        lastForwardBypassed = bypassed
        if bypassed {
            conv.weight.value = weight.value
            return conv.forward(x, training: training)
        }
        conv.weight.value = weights.quantize(weight.value, training: training)
        let q = activations.forward(x, training: training)
        if let codeObserver { codeObserver(q.data.map { UInt8(clamping: Int($0)) }) }
        return conv.forward(q, training: training)
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        conv.weight.zeroGrad()
        let gradQuantized = conv.backward(gradOutput)
        if lastForwardBypassed {
            for i in weight.grad.indices { weight.grad[i] += conv.weight.grad[i] }
            return gradQuantized
        }
        let dw = weights.backward(conv.weight.grad)
        for i in dw.indices { weight.grad[i] += dw[i] }
        return activations.backward(gradQuantized)
    }
}
