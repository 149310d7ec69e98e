import FATNNVocabulary

/// Which quantizer a network uses, and its settings.
///
/// The policy follows the method spec (`FATNN.md` §3): the first convolution and the last fully
/// connected layer stay full precision, as do BatchNorms and residual adds; every other
/// convolution (including 1x1 downsampling shortcuts) quantizes its own input and its weights.
public struct QuantizerSettings: Sendable, Hashable, Codable {
    /// Whether ReLUs that feed quantized convolutions stay. Binary activations are signs, which
    /// are constant on post-ReLU values, so binary networks feed the BatchNorm output directly.
    public var keepsReLUsBeforeQuantizedConvs: Bool { kind != .binary }

    public var kind: QuantizerKind
    /// Initial `α0 = α1 (= α2)` of FATNN activation quantizers (2.0: thresholds 0.25 and 0.75).
    public var activationInit: Float
    /// Set FATNN activation steps from the first training batch instead of `activationInit`:
    /// the thresholds start where the LSQ baselines' uniform thresholds start
    /// (``FATNNActivationQuantizer/initializeFromData(_:)``).
    public var activationInitFromData: Bool
    /// Initial `α0 = α1` of FATNN weight quantizers (spec: 0.5...1.0).
    public var weightInit: Float
    /// One set of activation steps per input channel instead of per layer.
    public var perChannelActivations: Bool
    /// One pair of weight thresholds per output channel instead of per layer.
    public var perChannelWeights: Bool

    /// Settings with the spec's defaults for `kind` (``QuantizerParameter/defaultValue``).
    public init(kind: QuantizerKind, activationInit: Float = Float(QuantizerParameter.activationInit.defaultValue),
                activationInitFromData: Bool = false, weightInit: Float = Float(QuantizerParameter.weightInit.defaultValue),
                perChannelActivations: Bool = false, perChannelWeights: Bool = false) {
        self.kind = kind
        self.activationInit = activationInit
        self.activationInitFromData = activationInitFromData
        self.weightInit = weightInit
        self.perChannelActivations = perChannelActivations
        self.perChannelWeights = perChannelWeights
    }

    /// Reads settings written before `activationInitFromData` existed (it is then off).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(QuantizerKind.self, forKey: .kind)
        activationInit = try c.decode(Float.self, forKey: .activationInit)
        activationInitFromData = try c.decodeIfPresent(Bool.self, forKey: .activationInitFromData) ?? false
        weightInit = try c.decode(Float.self, forKey: .weightInit)
        perChannelActivations = try c.decode(Bool.self, forKey: .perChannelActivations)
        perChannelWeights = try c.decode(Bool.self, forKey: .perChannelWeights)
    }

    /// Full precision.
    public static let fp = QuantizerSettings(kind: .fp)

    /// Why these settings cannot build a network (an initial step that is not a finite number
    /// in 1e-6...1e6), naming the field; nil when they can. Settings read from a file or a job
    /// are checked with this before a network is built from them.
    public var problem: String? {
        for (name, v) in [("activationInit", activationInit), ("weightInit", weightInit)] where !(v >= 1e-6 && v <= 1e6) {
            return "\(name) must be a finite number in 1e-6...1e6, got \(v)"
        }
        return nil
    }

    /// Settings for `kind` with the given `quantizer.params` (the others at their defaults).
    /// Parameters that `kind` does not take (``QuantizerKind/parameters``) are not expected
    /// here: job validation refuses them.
    public init(kind: QuantizerKind, parameters: [QuantizerParameter: Double]) {
        self.init(kind: kind)
        for (p, value) in parameters { set(p, to: value) }
    }

    /// Sets the setting that `parameter` names (switches: any value but 0 is on).
    public mutating func set(_ parameter: QuantizerParameter, to value: Double) {
        switch parameter {
        case .activationInit: activationInit = Float(value)
        case .activationInitFromData: activationInitFromData = value != 0
        case .weightInit: weightInit = Float(value)
        case .perChannelActivations: perChannelActivations = value != 0
        case .perChannelWeights: perChannelWeights = value != 0
        }
    }

    /// The activation quantizer for a quantized conv with input `shape`, parameters named
    /// `prefix.…`.
    func activationQuantizer(prefix: String, shape: ImageShape) -> any ActivationQuantizer {
        switch kind {
        case .fp: preconditionFailure("fp has no quantizer")
        case .fatnn, .fatnnA2:
            FATNNActivationQuantizer(name: "\(prefix).act_alpha", shape: shape, steps: kind == .fatnn ? 2 : 3,
                                     perChannel: perChannelActivations, initial: activationInit, fromData: activationInitFromData)
        case .tnn: LSQActivationQuantizer(name: "\(prefix).act_step", shape: shape, levels: 3)
        case .lsq2: LSQActivationQuantizer(name: "\(prefix).act_step", shape: shape, levels: 4)
        case .binary: BinaryActivationQuantizer(shape: shape)
        }
    }

    /// The weight quantizer for a quantized conv with `outChannels x fanIn` weights.
    func weightQuantizer(prefix: String, outChannels: Int, fanIn: Int) -> any WeightQuantizer {
        switch kind {
        case .fp: preconditionFailure("fp has no quantizer")
        case .fatnn, .fatnnA2:
            FATNNWeightQuantizer(name: "\(prefix).weight_alpha", outChannels: outChannels, fanIn: fanIn,
                                 perChannel: perChannelWeights, initial: weightInit)
        case .tnn: TernaryWeightQuantizer(outChannels: outChannels, fanIn: fanIn)
        case .lsq2: LSQWeightQuantizer(name: "\(prefix).weight_step", count: outChannels * fanIn)
        case .binary: BinaryWeightQuantizer(outChannels: outChannels, fanIn: fanIn)
        }
    }
}

/// Maps a layer's input to the values its quantized conv computes on, and gradients back.
///
/// `forward` caches what `backward` needs (in training); `backward` takes the gradient with
/// respect to the quantized values, adds the quantizer parameters' gradients and returns the
/// gradient with respect to the input.
public protocol ActivationQuantizer: AnyObject {
    func forward(_ x: Matrix, training: Bool) -> Matrix
    func backward(_ gradQuantized: Matrix) -> Matrix
    var parameters: [Parameter] { get }
    var buffers: [Buffer] { get }
    /// The allowed quantized values divided by the quantizer's scale (the integer codes).
    var codes: [Int] { get }
    /// The value of one code: ``forward(_:training:)`` gives `codes × scale` (1 for the kinds
    /// whose values are the codes themselves).
    var scale: Float { get }
    /// The code of a zero input, which is the code of the spatial padding (the spec pads the float
    /// input with zeros before quantizing): 0, or +1 for binary (`sign(0) = +1`).
    var paddingCode: Float { get }
    /// The integer codes of `x` as floats (``forward(_:training:)`` divided by ``scale``, exactly),
    /// caching for ``backward(_:)`` as `forward` does.
    func codeForward(_ x: Matrix, training: Bool) -> Matrix
}

/// Maps latent float weights to the values a quantized conv computes with, and gradients back.
public protocol WeightQuantizer: AnyObject {
    /// Quantized weights for `latent` (`outChannels x fanIn`); caches for ``backward(_:)``.
    func quantize(_ latent: [Float], training: Bool) -> [Float]
    /// Gradient with respect to the latent weights, from the gradient with respect to the quantized
    /// ones; adds the quantizer parameters' gradients.
    func backward(_ gradQuantized: [Float]) -> [Float]
    var parameters: [Parameter] { get }
    var buffers: [Buffer] { get }
    /// The integer codes of `latent` as floats, and the scales (one per layer, or one per output
    /// channel) such that ``quantize(_:training:)`` is `codes × scale` of each row; caches for
    /// ``backward(_:)`` as `quantize` does.
    func quantizeCodes(_ latent: [Float], training: Bool) -> (codes: [Float], scales: [Float])
}

extension ActivationQuantizer {
    public var buffers: [Buffer] { [] }
    public var scale: Float { 1 }
    public var paddingCode: Float { 0 }
    public func codeForward(_ x: Matrix, training: Bool) -> Matrix { forward(x, training: training) }
}

extension WeightQuantizer {
    public var parameters: [Parameter] { [] }
    public var buffers: [Buffer] { [] }
    /// For quantizers whose values are the codes (scale 1).
    public func quantizeCodes(_ latent: [Float], training: Bool) -> (codes: [Float], scales: [Float]) {
        (quantize(latent, training: training), [1])
    }
}

/// `α = |p|` with the spec's floor.
@inline(__always)
func stepMagnitude(_ p: Float) -> Float { Swift.max(abs(p), 1e-8) }

/// `∂α/∂p`: the sign of `p`, 0 where the floor holds.
@inline(__always)
func stepSign(_ p: Float) -> Float { abs(p) < 1e-8 ? 0 : (p < 0 ? -1 : 1) }
