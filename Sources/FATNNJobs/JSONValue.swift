/// A JSON document as a value, for validating sweep files field by field with precise paths.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n == n.rounded(), abs(n) < 9.007e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// A short name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The value with `value` stored at the dotted `path` (objects created as needed).
    public func setting(_ path: ArraySlice<String>, to value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        var obj: [String: JSONValue] = [:]
        if case .object(let o) = self { obj = o }
        obj[key] = (obj[key] ?? .null).setting(path.dropFirst(), to: value)
        return .object(obj)
    }

    /// The value at the dotted `path` (object keys), nil where there is none.
    public func value(at path: ArraySlice<String>) -> JSONValue? {
        guard let key = path.first else { return self }
        guard case .object(let o) = self, let next = o[key] else { return nil }
        return next.value(at: path.dropFirst())
    }

    /// This value with `overlay` merged in: objects merge key by key, recursively; any other
    /// overlay value replaces what is here.
    public func merged(with overlay: JSONValue) -> JSONValue {
        guard case .object(var mine) = self, case .object(let theirs) = overlay else { return overlay }
        for (k, v) in theirs { mine[k] = mine[k].map { $0.merged(with: v) } ?? v }
        return .object(mine)
    }
}
