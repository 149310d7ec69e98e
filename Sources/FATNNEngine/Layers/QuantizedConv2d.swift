/// A convolution that quantizes its own input and its weights (`FATNN.md` §3), then convolves
/// the integer codes, exactly, in float arithmetic, and multiplies each output channel by its
/// scale `c_o = s_a·s_w(o)` (the activation quantizer's step times the weight quantizer's scale
/// of that channel; no multiply for `fatnn` and `fatnn-a2`, whose scale is 1): the same values
/// as convolving the quantized values, computed so that a packed integer kernel followed by the
/// same multiply reproduces them bit for bit.
///
/// The spatial padding holds the code of a zero input (the spec pads the float input before
/// quantizing): 0 for every kind but binary, whose padding is +1 (`sign(0) = +1`). The latent
/// float weights are the learnable parameter (named like an unquantized conv's, so a
/// full-precision checkpoint initializes them); the quantizers' parameters come after it.
public final class QuantizedConv2d: Layer {
    /// The convolution over the codes: after a forward pass its weight holds the weight codes,
    /// after a training backward the quantized weight values (scratch, not a parameter).
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
    /// Whether the forward products run on the packed integer kernels (``PackedConv``, as the
    /// packed network's) where this pair of quantizers has one (every built-in kind):
    /// the same values bit for bit (integer sums of codes, exact in float, then the same one
    /// multiply per channel) in a fraction of the float multiply-adds' time. Backward stays on
    /// the float kernels. Default ``packedForwardByDefault``.
    public var forwardOnPackedKernels = QuantizedConv2d.packedForwardByDefault
    private var lastForwardBypassed = false
    /// Called with the activation codes of every quantized forward pass (NCHW, one byte per
    /// value: the code's two's-complement byte, so binary's −1 is 255), for checking a packed
    /// network against this one; nil by default.
    public var codeObserver: (([UInt8]) -> Void)?
    /// What the last training forward needs for backward: the quantized weight values (codes
    /// times their scales) when they differ from the codes, and the activation scale.
    private var lastWeightValues: [Float]?
    private var lastActivationScale: Float = 1

    public var input: ImageShape { conv.input }
    public var output: ImageShape { conv.output }

    /// A quantized conv named `name` (parameters `name.weight`, then the quantizers').
    public init(name: String, input: ImageShape, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                quantizer: QuantizerSettings, rng: inout RandomSource) {
        self.name = name
        conv = Conv2d(name: name, input: input, outChannels: outChannels, kernel: kernel, stride: stride,
                      padding: padding, rng: &rng)
        // Sums of codes must be exact, as the packed kernels' are: Winograd's transforms round, so
        // only the input gradient (float output gradients) may take them.
        conv.exactForward = true
        weight = Parameter(name: "\(name).weight", value: conv.weight.value, decays: true)
        activations = quantizer.activationQuantizer(prefix: name, shape: input)
        weights = quantizer.weightQuantizer(prefix: name, outChannels: outChannels, fanIn: input.channels * kernel * kernel)
    }

    public var parameters: [Parameter] { [weight] + activations.parameters + weights.parameters }
    public var buffers: [Buffer] { activations.buffers + weights.buffers }

    /// The weight codes (`Cout x (Cin·k·k)`, as floats) and the per-channel output scales
    /// `c_o = s_a·s_w(o)` the forward pass uses, or nil scales where every one is 1 (the values
    /// are the codes). A packed conv multiplies its integer accumulators by the same floats.
    public func quantizedWeights(training: Bool = false) -> (codes: [Float], scales: [Float]?) {
        let q = quantizeWeights(training: training)
        return (q.codes, q.scales)
    }

    /// The weight codes, the weight quantizer's own scales and the output scales (nil when all 1).
    private func quantizeWeights(training: Bool) -> (codes: [Float], weightScales: [Float], scales: [Float]?) {
        let (codes, ws) = weights.quantizeCodes(weight.value, training: training)
        let sa = activations.scale
        if sa == 1 && ws.allSatisfy({ $0 == 1 }) { return (codes, ws, nil) }
        return (codes, ws, (0..<output.channels).map { sa * ws[ws.count == 1 ? 0 : $0] })
    }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        lastForwardBypassed = bypassed
        if bypassed {
            conv.weight.value = weight.value
            conv.padValue = 0
            return conv.forward(x, training: training)
        }
        // Activations first: an LSQ step initialized from this batch is the scale used below. The
        // float codes are needed by training's backward and the observer; in evaluation the
        // packed path quantizes the input itself, so they are made only if it does not apply.
        let q = training || codeObserver != nil ? activations.codeForward(x, training: training) : nil
        let (codes, ws, scales) = quantizeWeights(training: training)
        conv.weight.value = codes
        conv.padValue = activations.paddingCode
        if let codeObserver, let q { codeObserver(q.data.map { UInt8(bitPattern: Int8(clamping: Int($0))) }) }
        var y: Matrix
        if let packed = packedForward(x, codes: codes, scales: scales) {
            y = packed
            if training, let q { conv.cachedInput = q }
        } else {
            y = conv.forward(q ?? activations.codeForward(x, training: training), training: training)
            if let scales { QuantizedConv2d.scaleChannels(&y, scales, plane: output.plane) }
        }
        if training {
            lastActivationScale = activations.scale
            let fanIn = codes.count / Swift.max(output.channels, 1)
            lastWeightValues = ws.allSatisfy { $0 == 1 } ? nil : codes.indices.map { codes[$0] * ws[ws.count == 1 ? 0 : $0 / fanIn] }
        }
        return y
    }

    /// Multiplies channel `o` of every image (NCHW rows) by `scales[o]`.
    static func scaleChannels(_ y: inout Matrix, _ scales: [Float], plane: Int) {
        let cout = scales.count
        y.data.withUnsafeMutableBufferPointer { d in
            for img in 0..<y.rows {
                for o in 0..<cout {
                    let c = scales[o], base = (img * cout + o) * plane
                    for j in 0..<plane { d[base + j] *= c }
                }
            }
        }
    }

    public func backward(_ gradOutput: Matrix) -> Matrix { backward(.dense(gradOutput)) }

    /// Backward from a dense gradient or the next BatchNorm's (``Conv2d/OutputGradient``).
    func backward(_ gradOutput: Conv2d.OutputGradient) -> Matrix {
        conv.weight.zeroGrad()
        // With y = Σ a·w over values a = s_a·(codes), w = s_w·(codes): the input gradient is the
        // conv transpose over the weight values, the weight gradient s_a times the one over codes.
        if !lastForwardBypassed, let values = lastWeightValues { conv.weight.value = values }
        let gradQuantized = conv.backward(gradOutput)
        if lastForwardBypassed {
            for i in weight.grad.indices { weight.grad[i] += conv.weight.grad[i] }
            return gradQuantized
        }
        let sa = lastActivationScale
        let dw = weights.backward(sa == 1 ? conv.weight.grad : conv.weight.grad.map { $0 * sa })
        for i in dw.indices { weight.grad[i] += dw[i] }
        return activations.backward(gradQuantized)
    }
}
