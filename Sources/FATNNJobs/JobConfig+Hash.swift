import Foundation

extension JobConfig {
    /// The config as canonical JSON: sorted keys, no whitespace, defaults filled in.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types to JSON cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Identity of the experiment: SHA-256 of ``canonicalJSON``. Independent of key order and of
    /// whether defaults were written out.
    public var configHash: String { SHA256.hex(canonicalJSON) }

    /// Identity of the experiment up to its seed, for aggregating over seeds.
    public var groupHash: String {
        var c = self
        c.seed = 0
        return SHA256.hex("group:" + c.canonicalJSON)
    }

    /// The config checked again with the rules of ``validated(from:path:)``, for a config that
    /// arrived over the network rather than from a validated file.
    public func revalidated() throws -> JobConfig {
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(canonicalJSON.utf8))
        return try JobConfig.validated(from: json)
    }

    /// Decodes a config stored as canonical JSON.
    public static func fromCanonical(_ json: String) throws -> JobConfig {
        try JSONDecoder().decode(JobConfig.self, from: Data(json.utf8))
    }

    /// A short human label of the split, e.g. `holdout 0.1/s0` or `holdout 0.1/s0 n=2000`.
    public var splitLabel: String {
        var s = "val \(dataset.validationFraction)/s\(dataset.splitSeed)"
        if let k = dataset.folds, let f = dataset.fold { s = "fold \(f)/\(k) s\(dataset.splitSeed)" }
        if let n = dataset.trainLimit { s += " n=\(n)" }
        return s
    }
}
