/// The quantizer kinds, by the names jobs, sweeps, model files and the command line use.
///
/// This is the one list: job validation, the JSON Schema check, the worker's engine settings,
/// `fatnn train`'s flags and the synthetic store all read it. Adding a kind means: a case here
/// with its ``parameters``, the engine's quantizer layers for it, and the kind in
/// `Schemas/sweep.schema.json` (a test compares the schema with this file).
public enum QuantizerKind: String, CaseIterable, Sendable, Codable, VocabularyTerm {
    /// No quantization.
    case fp
    /// The FATNN quantizer: ternary activation codes {0,1,2} with two learned steps, ternary
    /// weight codes {-1,0,+1} with two learned thresholds; the conv runs on integer codes.
    case fatnn
    /// Conventional ternary: Ternary Weight Networks weights, LSQ activations {0,1,2}·s.
    case tnn
    /// 2-bit LSQ for weights (signed, 4 levels) and activations (unsigned, 4 levels).
    case lsq2
    /// FATNN's 2-bit activation quantizer (codes 0...3, three learned steps) with FATNN ternary
    /// weights.
    case fatnnA2 = "fatnn-a2"
    /// Binary: sign weights with a per-channel mean-|W| scale, sign activations with the
    /// clipped straight-through estimator; no ReLU before quantized convs (Bi-Real style).
    case binary

    /// The `quantizer.params` this kind accepts (each described in ``QuantizerParameter``).
    public var parameters: [QuantizerParameter] {
        switch self {
        case .fatnn, .fatnnA2: QuantizerParameter.fatnnFamily
        case .fp, .tnn, .lsq2, .binary: []
        }
    }

    /// Whether networks with this kind quantize anything (every kind but `fp`).
    public var quantizes: Bool { self != .fp }
}
