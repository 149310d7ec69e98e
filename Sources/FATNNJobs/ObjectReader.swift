import FATNNVocabulary

/// Reads the fields of one JSON object with typed, range-checked accessors, and rejects fields
/// it was not asked for, so that a misspelt key is an error rather than a silent default.
struct ObjectReader {
    let path: String
    private let fields: [String: JSONValue]
    private var used: Set<String> = []

    init(_ value: JSONValue, path: String) throws(SweepError) {
        guard case .object(let o) = value else {
            throw SweepError(path: path, "expected an object, got \(value.typeName)")
        }
        self.path = path
        self.fields = o
    }

    func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func take(_ key: String) -> JSONValue? {
        used.insert(key)
        if case .null? = fields[key] { return nil }
        return fields[key]
    }

    mutating func string(_ key: String, default def: String? = nil, allowed: [String]? = nil) throws(SweepError) -> String {
        guard let v = take(key) else {
            if let def { return def }
            throw SweepError(path: at(key), "required field is missing" + (allowed.map { "; allowed: \($0.joined(separator: ", "))" } ?? ""))
        }
        guard case .string(let s) = v else { throw SweepError(path: at(key), "expected a string, got \(v.typeName)") }
        if let allowed, !allowed.contains(s) {
            throw SweepError(path: at(key), "'\(s)' is not allowed; allowed: \(allowed.joined(separator: ", "))")
        }
        return s
    }

    /// A name from a closed set (``VocabularyTerm``): errors list the allowed names.
    mutating func term<T: VocabularyTerm>(_ key: String, as type: T.Type = T.self, default def: T? = nil) throws(SweepError) -> T {
        let names = T.allCases.map(\.rawValue)
        let s = try string(key, default: def?.rawValue, allowed: names)
        guard let value = T(rawValue: s) else { throw SweepError(path: at(key), "'\(s)' is not allowed; allowed: \(T.names)") }
        return value
    }

    mutating func double(_ key: String, default def: Double? = nil, min lo: Double, max hi: Double,
                         exclusiveMin: Bool = false, exclusiveMax: Bool = false) throws(SweepError) -> Double {
        guard let v = take(key) else {
            if let def { return def }
            throw SweepError(path: at(key), "required field is missing")
        }
        guard case .number(let n) = v, n.isFinite else { throw SweepError(path: at(key), "expected a number, got \(v.typeName)") }
        let okLo = exclusiveMin ? n > lo : n >= lo
        let okHi = exclusiveMax ? n < hi : n <= hi
        guard okLo && okHi else {
            throw SweepError(path: at(key), "\(n) is out of range; allowed: \(exclusiveMin ? "(" : "[")\(lo), \(hi)\(exclusiveMax ? ")" : "]")")
        }
        return n
    }

    mutating func int(_ key: String, default def: Int? = nil, min lo: Int, max hi: Int) throws(SweepError) -> Int {
        if let v = try optionalInt(key, min: lo, max: hi) { return v }
        guard let def else { throw SweepError(path: at(key), "required field is missing") }
        return def
    }

    mutating func optionalInt(_ key: String, min lo: Int, max hi: Int) throws(SweepError) -> Int? {
        guard let v = take(key) else { return nil }
        guard case .number(let n) = v, n == n.rounded(), abs(n) < 1e15 else {
            throw SweepError(path: at(key), "expected an integer, got \(v.typeName == "a number" ? "a fraction" : v.typeName)")
        }
        guard Int(n) >= lo && Int(n) <= hi else { throw SweepError(path: at(key), "\(Int(n)) is out of range; allowed: \(lo)...\(hi)") }
        return Int(n)
    }

    mutating func bool(_ key: String, default def: Bool) throws(SweepError) -> Bool {
        guard let v = take(key) else { return def }
        guard case .bool(let b) = v else { throw SweepError(path: at(key), "expected true or false, got \(v.typeName)") }
        return b
    }

    mutating func object(_ key: String) throws(SweepError) -> ObjectReader? {
        guard let v = take(key) else { return nil }
        return try ObjectReader(v, path: at(key))
    }

    mutating func raw(_ key: String) -> JSONValue? { take(key) }

    /// Whether `key` is present with a non-null value (does not mark it read).
    func has(_ key: String) -> Bool {
        if case .null? = fields[key] { return false }
        return fields[key] != nil
    }

    /// Whether `key` is present with the value null (does not mark it read).
    func isNull(_ key: String) -> Bool {
        if case .null? = fields[key] { return true }
        return false
    }

    /// All fields with their values, marking them used.
    mutating func all() -> [(String, JSONValue)] {
        used.formUnion(fields.keys)
        return fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Throws for the first field (alphabetically) that no accessor read.
    func finish() throws(SweepError) {
        if let extra = fields.keys.filter({ !used.contains($0) }).sorted().first {
            throw SweepError(path: at(extra), "unknown field")
        }
    }
}
