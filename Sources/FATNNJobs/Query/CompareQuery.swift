import FATNNVocabulary
import Foundation

/// What `fatnn-coord compare` and `GET /api/compare` ask for: a paired comparison of the values
/// of one config key against a baseline value, on one metric, over the succeeded jobs a filter
/// (the ``WhereExpression`` grammar) and a sweep pick. Sent as URL query items (`by`,
/// `baseline`, `metric`, `where`, `sweep`).
public struct CompareQuery: Sendable, Equatable {
    /// The compared key: a name of ``ComparisonKey/names`` or a config key path.
    public var by: String
    /// The value of `by` the others are compared with (as the comparison labels it).
    public var baseline: String
    /// The metric: one of the leaderboard's metrics (`test_acc`, `val_acc`, `test_loss`, …).
    public var metric: String
    /// Filter text (empty: every succeeded job).
    public var filter: String
    /// Only jobs of this sweep.
    public var sweep: String?
    /// Keys (``ComparisonKey`` names) in which the two jobs of a pair may differ besides `by`:
    /// each kind at the learning rate it was tuned to, for example (`lr`).
    public var ignoring: [String]

    /// A comparison of the values of `by` against `baseline` on `metric`, over the succeeded
    /// jobs that `filter` and `sweep` keep, pairing jobs equal in everything but `by` and `ignoring`.
    public init(by: String, baseline: String, metric: String = "test_acc", filter: String = "", sweep: String? = nil,
                ignoring: [String] = []) {
        self.by = by; self.baseline = baseline; self.metric = metric; self.filter = filter; self.sweep = sweep
        self.ignoring = ignoring
    }

    /// The query as URL query items.
    public var queryItems: [(String, String)] {
        var out = [("by", by), ("baseline", baseline), ("metric", metric)]
        if !filter.isEmpty { out.append(("where", filter)) }
        if let sweep { out.append(("sweep", sweep)) }
        if !ignoring.isEmpty { out.append(("ignore", ignoring.joined(separator: ","))) }
        return out
    }

    /// Reads a query from URL query items (unknown names are errors; `by` and `baseline` are required).
    public static func from(items: [(String, String)]) throws(QueryError) -> CompareQuery {
        var by: String?, baseline: String?
        var q = CompareQuery(by: "", baseline: "")
        for (name, value) in items {
            switch name {
            case "by": by = value
            case "baseline": baseline = value
            case "metric": q.metric = value
            case "where": q.filter = value
            case "sweep": q.sweep = value
            case "ignore": q.ignoring = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            default: throw QueryError(parameter: "unknown query parameter '\(name)'; allowed: by, baseline, metric, where, sweep, ignore")
            }
        }
        guard let by, !by.isEmpty else { throw QueryError(parameter: "by: required; the config key to compare, e.g. quantizer") }
        guard let baseline, !baseline.isEmpty else { throw QueryError(parameter: "baseline: required; the value of \(by) to compare with, e.g. tnn") }
        q.by = by
        q.baseline = baseline
        return q
    }
}

/// The config key a paired comparison varies, resolved to a path in the canonical config.
///
/// Two jobs pair when their canonical configs are equal once the key is removed: model, data
/// split, training recipe, seed, and the parent a fine-tuned job starts from (`initFrom`, the
/// parent's config hash: the same for every fine-tune of one parent config, whatever its job id
/// or sweep). `quantizer` (and `quantizer.kind`) removes the whole quantizer object, kind and
/// parameters, since parameters belong to a kind; each side is then labelled by its kind.
public struct ComparisonKey: Sendable, Equatable {
    /// The name as given.
    public let name: String
    /// Path of the removed value in the canonical config.
    public let path: [String]

    /// Short names and the config paths they stand for.
    public static let names: [String: [String]] = [
        "quantizer": ["quantizer"], "quantizer.kind": ["quantizer"], "model": ["model"], "dataset": ["dataset", "name"],
        "lr": ["training", "learningRate"], "epochs": ["training", "epochs"],
    ]

    /// Every key accepted: the short names, the grid's key paths and `quantizer.params.NAME`.
    public static var allowed: [String] {
        let params = QuantizerParameter.allCases.map { "quantizer.params." + $0.rawValue }
        return Array(Set(names.keys).union(JobConfig.gridKeyPaths).union(params)).sorted()
    }

    /// Resolves `name`.
    ///
    /// - Throws: ``QueryError`` naming the key and the allowed ones (the seed cannot be compared:
    ///   pairs are matched on it).
    public init(_ name: String) throws(QueryError) {
        if name == "seed" {
            throw QueryError(parameter: "cannot compare by seed: pairs are matched on the seed; compare by another key")
        }
        guard Self.allowed.contains(name) else {
            throw QueryError(parameter: "unknown key '\(name)'; keys: \(Self.allowed.joined(separator: ", "))")
        }
        self.name = name
        self.path = Self.names[name] ?? name.split(separator: ".").map(String.init)
    }

    /// `config` without this key (unchanged when it does not have it).
    public func strip(_ config: JSONValue) -> JSONValue { Self.removing(path[...], from: config).0 }

    /// The pairing key of a canonical config (the config without this key, canonical JSON) and
    /// the removed value (`.null` when the config does not have it).
    public func split(_ config: JSONValue) -> (pairKey: String, value: JSONValue) {
        let (rest, value) = Self.removing(path[...], from: config)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let key = (try? encoder.encode(rest)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (key, value ?? .null)
    }

    static func removing(_ path: ArraySlice<String>, from v: JSONValue) -> (JSONValue, JSONValue?) {
        guard let key = path.first, case .object(var o) = v, let inner = o[key] else { return (v, nil) }
        if path.count == 1 {
            o[key] = nil
            return (.object(o), inner)
        }
        let (rest, removed) = removing(path.dropFirst(), from: inner)
        o[key] = rest
        return (.object(o), removed)
    }

    /// Display labels of the values found: a quantizer by its kind, with its parameters only
    /// when one kind appears with several parameter sets (`fatnn{perChannelWeights=1}`);
    /// numbers, strings and booleans as written; a missing value as `none`.
    public func labels(of values: Set<JSONValue>) -> [JSONValue: String] {
        var out: [JSONValue: String] = [:]
        var kinds: [String: Int] = [:]
        for v in values { if case .object(let o) = v, case .string(let k)? = o["kind"] { kinds[k, default: 0] += 1 } }
        for v in values {
            if case .object(let o) = v, case .string(let kind)? = o["kind"] {
                guard kinds[kind, default: 0] > 1 else { out[v] = kind; continue }
                var params: [(String, JSONValue)] = []
                if case .object(let p)? = o["params"] { params = p.sorted { $0.key < $1.key } }
                out[v] = kind + "{" + params.map { "\($0.0)=\(Self.scalar($0.1))" }.joined(separator: ",") + "}"
            } else {
                out[v] = Self.scalar(v)
            }
        }
        return out
    }

    static func scalar(_ v: JSONValue) -> String {
        switch v {
        case .null: return "none"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): return s
        case .array, .object:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
    }
}
