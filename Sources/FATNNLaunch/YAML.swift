/// A YAML document as the launchers build it: mappings keep their order, and every string is
/// written double-quoted (JSON escapes), so that no value is read back as a number, a boolean or
/// null by a YAML 1.1 or 1.2 reader ("0400", "yes", "1e3", "null" stay strings).
public indirect enum YAMLNode: Equatable, Sendable {
    case map([(String, YAMLNode)])
    case list([YAMLNode])
    case string(String)
    case int(Int)
    case bool(Bool)

    public static func == (a: YAMLNode, b: YAMLNode) -> Bool {
        switch (a, b) {
        case let (.map(x), .map(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.list(x), .list(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        default: return false
        }
    }

    /// The value at a path of mapping keys and list indexes ("spec", "template", 0, …), or nil.
    public subscript(path: YAMLPathElement...) -> YAMLNode? { lookup(path[...]) }

    private func lookup(_ path: ArraySlice<YAMLPathElement>) -> YAMLNode? {
        guard let first = path.first else { return self }
        switch (self, first) {
        case let (.map(entries), .key(k)): return entries.first { $0.0 == k }?.1.lookup(path.dropFirst())
        case let (.list(items), .index(i)): return items.indices.contains(i) ? items[i].lookup(path.dropFirst()) : nil
        default: return nil
        }
    }

    /// The string value, if this is a string.
    public var string: String? { if case let .string(s) = self { return s } else { return nil } }
    /// The integer value, if this is an integer.
    public var int: Int? { if case let .int(i) = self { return i } else { return nil } }
}

/// One step of a ``YAMLNode`` path: a mapping key or a list index.
public enum YAMLPathElement: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, Sendable {
    case key(String)
    case index(Int)
    public init(stringLiteral value: String) { self = .key(value) }
    public init(integerLiteral value: Int) { self = .index(value) }
}

/// Block-style YAML text of documents, separated by `---`.
public enum YAMLWriter {
    public static func documents(_ docs: [YAMLNode]) -> String {
        docs.map { "---\n" + block($0, indent: 0) }.joined()
    }

    static func block(_ node: YAMLNode, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        switch node {
        case let .map(entries):
            if entries.isEmpty { return pad + "{}\n" }
            return entries.map { key, value in pad + self.key(key) + ":" + nested(value, indent: indent + 2) }.joined()
        case let .list(items):
            if items.isEmpty { return pad + "[]\n" }
            return items.map { item -> String in
                // "- " then the item's first line; its other lines indented by 2 more.
                let inner = block(item, indent: indent + 2)
                return pad + "- " + inner.dropFirst(indent + 2)
            }.joined()
        default:
            return pad + scalar(node) + "\n"
        }
    }

    private static func nested(_ value: YAMLNode, indent: Int) -> String {
        switch value {
        case let .map(e) where !e.isEmpty: return "\n" + block(value, indent: indent)
        case let .list(l) where !l.isEmpty: return "\n" + block(value, indent: indent)
        case .map: return " {}\n"
        case .list: return " []\n"
        default: return " " + scalar(value) + "\n"
        }
    }

    static func scalar(_ node: YAMLNode) -> String {
        switch node {
        case let .string(s): return quoted(s)
        case let .int(i): return String(i)
        case let .bool(b): return b ? "true" : "false"
        case .map, .list: return ""
        }
    }

    /// A key written plain when it is a plain identifier, else quoted.
    static func key(_ k: String) -> String {
        let plain = k.first.map { $0.isASCII && ($0.isLetter || $0 == "_") } == true
            && k.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_./-".unicodeScalars.contains($0)) }
            && !["true", "false", "yes", "no", "on", "off", "null", "y", "n"].contains(k.lowercased())
        return plain ? k : quoted(k)
    }

    /// A double-quoted YAML scalar (the JSON escapes, which YAML shares).
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F || (0x80...0x9F).contains(u.value) || u.value == 0xFEFF || u.value == 0x2028 || u.value == 0x2029 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
