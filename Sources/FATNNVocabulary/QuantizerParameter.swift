/// The numeric settings a job's `quantizer.params` may carry: one row each, with the values it
/// takes, its default and its meaning. Which kinds accept which parameters is
/// ``QuantizerKind/parameters``.
public enum QuantizerParameter: String, CaseIterable, Sendable, Codable, CodingKeyRepresentable, VocabularyTerm {
    /// Initial `α0 = α1 (= α2)` of the FATNN activation steps (2.0: thresholds 0.25 and 0.75).
    case activationInit
    /// 1: set the activation steps from the first training batch, where the LSQ baselines
    /// start their uniform thresholds (``activationInit`` is then unused).
    case activationInitFromData
    /// Initial `α0 = α1` of the FATNN weight thresholds (thresholds ±0.5/α on standardized weights).
    case weightInit
    /// 1: activation steps per input channel instead of per layer.
    case perChannelActivations
    /// 1: weight thresholds per output channel instead of per layer.
    case perChannelWeights

    /// The values a parameter takes.
    public enum Values: Sendable, Equatable {
        /// Any finite number in the range.
        case number(ClosedRange<Double>)
        /// 0 (off) or 1 (on).
        case onOff
    }

    /// The values this parameter takes.
    public var values: Values {
        switch self {
        case .activationInit, .weightInit: .number(0.01...100)
        case .activationInitFromData, .perChannelActivations, .perChannelWeights: .onOff
        }
    }

    /// The value a job without this parameter runs with.
    public var defaultValue: Double {
        switch self {
        case .activationInit: 2
        case .weightInit: 1
        case .activationInitFromData, .perChannelActivations, .perChannelWeights: 0
        }
    }

    /// Why `value` is not allowed for this parameter, or nil when it is.
    public func problem(with value: Double) -> String? {
        guard value.isFinite else { return "\(value) is not a finite number" }
        switch values {
        case .onOff:
            return value == 0 || value == 1 ? nil : "\(value) is not a switch value; use 0 or 1"
        case .number(let range):
            return range.contains(value) ? nil : "\(value) is out of range \(range.lowerBound)...\(range.upperBound)"
        }
    }

    /// The parameters of the FATNN quantizers (`fatnn`, `fatnn-a2`), in the order help lists them.
    public static let fatnnFamily: [QuantizerParameter] = [
        .activationInit, .activationInitFromData, .weightInit, .perChannelActivations, .perChannelWeights,
    ]

    /// `init?(codingKey:)` for dictionaries keyed by parameter (`quantizer.params` encodes as an
    /// object with the raw names as keys).
    public init?<T: CodingKey>(codingKey: T) { self.init(rawValue: codingKey.stringValue) }

    public var codingKey: any CodingKey { Key(stringValue: rawValue) }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
