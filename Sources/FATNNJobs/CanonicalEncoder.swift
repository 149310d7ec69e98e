/// Writes ``JobConfig/canonicalJSON`` for many configs of one sweep quickly: the dataset,
/// quantizer and training objects are encoded once per distinct value (a sweep's jobs share
/// most of them) and the top-level object is assembled around them. The bytes are exactly
/// `JSONEncoder`'s with `.sortedKeys` and `.withoutEscapingSlashes` (the top-level keys
/// `dataset` < `initFrom` < `model` < `quantizer` < `seed` < `training`, nil `initFrom`
/// omitted); a config whose strings would need escaping is encoded by `JSONEncoder` whole.
/// Config hashes depend on these bytes, so a test compares both encodings.
struct CanonicalEncoder {
    private var datasets: [JobConfig.DatasetSpec: String] = [:]
    private var quantizers: [JobConfig.QuantizerSpec: String] = [:]
    private var trainings: [JobConfig.TrainingSpec: String] = [:]

    /// Most distinct sub-objects remembered per kind.
    static let capacity = 4096

    mutating func json(_ c: JobConfig) -> String {
        guard Self.isPlain(c.model.rawValue), c.initFrom.map(Self.isPlain) ?? true else { return JobConfig.encodedCanonically(c) }
        var s = #"{"dataset":"#
        s += Self.cached(&datasets, c.dataset)
        if let from = c.initFrom { s += #","initFrom":""# + from + "\"" }
        s += #","model":""# + c.model.rawValue + #"","quantizer":"#
        s += Self.cached(&quantizers, c.quantizer)
        s += #","seed":"# + String(c.seed) + #","training":"#
        s += Self.cached(&trainings, c.training)
        s += "}"
        return s
    }

    private static func cached<T: Encodable & Hashable>(_ memo: inout [T: String], _ value: T) -> String {
        if let s = memo[value] { return s }
        let s = JobConfig.encodedCanonically(value)
        if memo.count >= capacity { memo.removeAll(keepingCapacity: true) }
        memo[value] = s
        return s
    }

    /// Letters, digits, `-`, `_` and `.`: strings JSON writes as they are.
    static func isPlain(_ s: String) -> Bool {
        s.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }
}
