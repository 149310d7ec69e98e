import Foundation

extension JobConfig {
    /// The config as canonical JSON: sorted keys, no whitespace, defaults filled in (the bytes
    /// `JSONEncoder` writes with `.sortedKeys` and `.withoutEscapingSlashes`).
    public var canonicalJSON: String {
        var encoder = CanonicalEncoder()
        return encoder.json(self)
    }

    /// ``canonicalJSON`` written by `JSONEncoder` for the whole config: the definition that
    /// ``CanonicalEncoder`` reproduces faster.
    static func encodedCanonically<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types to JSON cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    /// Identity of the experiment: SHA-256 of ``canonicalJSON``. Independent of key order and of
    /// whether defaults were written out.
    public var configHash: String { SHA256.hex(canonicalJSON) }

    /// ``canonicalJSON``, ``configHash`` and ``groupHash`` computed together (two encodings
    /// instead of three), for storing many jobs.
    public var identity: (canonicalJSON: String, configHash: String, groupHash: String) {
        var encoder = CanonicalEncoder()
        return identity(using: &encoder)
    }

    func identity(using encoder: inout CanonicalEncoder) -> (canonicalJSON: String, configHash: String, groupHash: String) {
        let json = encoder.json(self)
        var c = self
        c.seed = 0
        return (json, SHA256.hex(json), SHA256.hex("group:" + encoder.json(c)))
    }

    /// The ``identity`` of every job, computed on all cores (large sweeps spend most of their
    /// submission time here).
    public static func identities(of jobs: [JobConfig]) -> [(canonicalJSON: String, configHash: String, groupHash: String)] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, jobs.count / 256))
        let out = IdentityBuffer(count: jobs.count)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = jobs.count * c / chunks, hi = jobs.count * (c + 1) / chunks
            var encoder = CanonicalEncoder()
            for i in lo..<hi { out.set(i, jobs[i].identity(using: &encoder)) }
        }
        return out.values.map { $0! }
    }

    /// Identity of the experiment up to its seed, for aggregating over seeds (of a job that
    /// starts from no other job's model; see ``groupHash(parentGroup:)``).
    public var groupHash: String {
        var c = self
        c.seed = 0
        return SHA256.hex("group:" + c.canonicalJSON)
    }

    /// The group of a job that fine-tunes the model of a job in group `parentGroup`: the config
    /// minus its seed, with the parent named by its group instead of its config hash. Jobs that
    /// differ only in their seed and their parent's seed (a QAT stage over the seeds of an FP
    /// stage) then share a group; with `parentGroup` nil, ``groupHash``.
    public func groupHash(parentGroup: String?) -> String {
        guard initFrom != nil, let parentGroup else { return groupHash }
        var c = self
        c.seed = 0
        c.initFrom = "group:" + parentGroup
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

/// Slots written by disjoint index ranges from several threads (raw memory, so no exclusive
/// access to a shared array is needed).
private final class IdentityBuffer: @unchecked Sendable {
    typealias Identity = (canonicalJSON: String, configHash: String, groupHash: String)
    private let slots: UnsafeMutableBufferPointer<Identity?>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    func set(_ i: Int, _ v: Identity) { slots[i] = v }
    var values: [Identity?] { Array(slots) }
}
