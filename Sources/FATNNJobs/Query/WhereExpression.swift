/// A `--where` filter: comparisons of fields with values, combined with `and`, `or`, `not` and
/// parentheses.
///
/// ```
/// quantizer.kind in (fatnn, tnn) and model = resnet20 and test_acc > 0.9
/// (lr <= 0.05 or seed != 3) and not state = failed
/// ```
///
/// Grammar (`and` binds tighter than `or`; keywords are case-insensitive):
/// ```
/// expr       := and ('or' and)*
/// and        := unary ('and' unary)*
/// unary      := 'not' unary | '(' expr ')' | comparison
/// comparison := FIELD ('=' | '!=' | '<' | '<=' | '>' | '>=') VALUE | FIELD 'in' '(' VALUE (',' VALUE)* ')'
/// FIELD      := a known field or a config key path (letters, digits, '_', '-', '.')
/// VALUE      := a number, true, false, a bare word (fatnn, fashion-mnist) or a 'quoted' / "quoted" string
/// ```
public indirect enum WhereExpression: Sendable, Equatable {
    case comparison(field: String, op: ComparisonOperator, value: QueryLiteral, position: Int)
    case member(field: String, values: [QueryLiteral], position: Int)
    case and(WhereExpression, WhereExpression)
    case or(WhereExpression, WhereExpression)
    case not(WhereExpression)

    /// Largest expression accepted, in characters.
    public static let maxLength = 4000
    /// Most comparisons in one expression.
    public static let maxTerms = 200
    /// Deepest nesting of parentheses and `not`s (the SQL it becomes must fit SQLite's parser).
    public static let maxDepth = 20

    /// Parses `text`.
    ///
    /// - Throws: ``QueryError`` naming the offending token and its column (1-based).
    public static func parse(_ text: String) throws(QueryError) -> WhereExpression {
        guard text.count <= maxLength else { throw QueryError(text, column: 1, "expression is longer than \(maxLength) characters") }
        var p = WhereParser(tokens: try WhereLexer.tokens(text), text: text)
        let e = try p.expression()
        guard p.index == p.tokens.count else {
            let t = p.tokens[p.index]
            throw QueryError(text, column: t.column, "unexpected '\(t.text)' after a complete expression (missing 'and' or 'or'?)")
        }
        guard p.terms <= maxTerms else { throw QueryError(text, column: 1, "more than \(maxTerms) comparisons") }
        return e
    }

    /// Every field the expression names, with its column.
    public var fields: [(name: String, position: Int)] {
        switch self {
        case .comparison(let f, _, _, let p), .member(let f, _, let p): return [(f, p)]
        case .and(let a, let b), .or(let a, let b): return a.fields + b.fields
        case .not(let a): return a.fields
        }
    }
}

/// A comparison operator of the `--where` grammar.
public enum ComparisonOperator: String, Sendable, Equatable, CaseIterable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

/// A literal value in a `--where` expression.
public enum QueryLiteral: Sendable, Equatable {
    case number(Double)
    case text(String)
    case bool(Bool)
}

/// A query that cannot be parsed or run, pointing at the offending token.
public struct QueryError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The whole expression.
    public let text: String
    /// 1-based column of the offending token.
    public let column: Int
    public let message: String

    /// Whether ``description`` points at a column of ``text`` (false for a bad parameter that
    /// is not an expression, whose message names it).
    public let pointsAtColumn: Bool

    public init(_ text: String, column: Int, _ message: String) {
        self.text = text
        self.column = column
        self.message = message
        self.pointsAtColumn = true
    }

    /// An error in a query parameter that is not an expression: `message` names the parameter
    /// and the reason, and ``description`` is the message alone.
    public init(parameter message: String) {
        self.text = ""
        self.column = 1
        self.message = message
        self.pointsAtColumn = false
    }

    /// The message with the expression and a caret under the offending column.
    public var description: String {
        guard pointsAtColumn else { return message }
        return "\(message) (column \(column))\n  \(text)\n  \(String(repeating: " ", count: max(0, column - 1)))^"
    }
}

struct WhereToken: Equatable {
    enum Kind: Equatable { case word, number, string, symbol }
    let kind: Kind
    let text: String
    let column: Int
}

enum WhereLexer {
    static func tokens(_ text: String) throws(QueryError) -> [WhereToken] {
        let chars = Array(text)
        var out: [WhereToken] = []
        var i = 0
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "-" || c == "." || c == "+" }
        while i < chars.count {
            let c = chars[i]
            let col = i + 1
            if c.isWhitespace { i += 1; continue }
            if "(),".contains(c) { out.append(.init(kind: .symbol, text: String(c), column: col)); i += 1; continue }
            if "=<>!".contains(c) {
                var op = String(c)
                if i + 1 < chars.count, chars[i + 1] == "=" { op.append("="); i += 1 }
                i += 1
                guard ComparisonOperator(rawValue: op) != nil else {
                    throw QueryError(text, column: col, "'\(op)' is not an operator; use =, !=, <, <=, >, >= or in (…)")
                }
                out.append(.init(kind: .symbol, text: op, column: col))
                continue
            }
            if c == "'" || c == "\"" {
                var j = i + 1, s = ""
                while j < chars.count, chars[j] != c { s.append(chars[j]); j += 1 }
                guard j < chars.count else { throw QueryError(text, column: col, "string is not closed with \(c)") }
                out.append(.init(kind: .string, text: s, column: col))
                i = j + 1
                continue
            }
            guard isWord(c) else { throw QueryError(text, column: col, "unexpected character '\(c)'") }
            var j = i, s = ""
            while j < chars.count, isWord(chars[j]) { s.append(chars[j]); j += 1 }
            out.append(.init(kind: Double(s) != nil && (s.first!.isNumber || "-+.".contains(s.first!)) ? .number : .word, text: s, column: col))
            i = j
        }
        return out
    }
}

struct WhereParser {
    let tokens: [WhereToken]
    let text: String
    var index = 0
    var terms = 0
    var depth = 0

    init(tokens: [WhereToken], text: String) { self.tokens = tokens; self.text = text }

    private var current: WhereToken? { index < tokens.count ? tokens[index] : nil }
    private func isKeyword(_ t: WhereToken?, _ k: String) -> Bool { t?.kind == .word && t?.text.lowercased() == k }
    private var end: Int { text.count + 1 }

    mutating func expression() throws(QueryError) -> WhereExpression {
        var left = try conjunction()
        while isKeyword(current, "or") {
            index += 1
            left = .or(left, try conjunction())
        }
        return left
    }

    mutating func conjunction() throws(QueryError) -> WhereExpression {
        var left = try unary()
        while isKeyword(current, "and") {
            index += 1
            left = .and(left, try unary())
        }
        return left
    }

    mutating func unary() throws(QueryError) -> WhereExpression {
        guard let t = current else { throw QueryError(text, column: end, "expected a comparison such as model = resnet20, got the end") }
        if isKeyword(t, "not") {
            depth += 1
            guard depth <= WhereExpression.maxDepth else {
                throw QueryError(text, column: t.column, "'not' and parentheses nested more than \(WhereExpression.maxDepth) deep")
            }
            index += 1
            defer { depth -= 1 }
            return .not(try unary())
        }
        if t.text == "(" && t.kind == .symbol {
            depth += 1
            guard depth <= WhereExpression.maxDepth else {
                throw QueryError(text, column: t.column, "'not' and parentheses nested more than \(WhereExpression.maxDepth) deep")
            }
            index += 1
            let e = try expression()
            guard let close = current, close.kind == .symbol, close.text == ")" else {
                throw QueryError(text, column: current?.column ?? end, "expected ')' to close the '(' at column \(t.column)")
            }
            index += 1
            depth -= 1
            return e
        }
        return try comparison()
    }

    mutating func comparison() throws(QueryError) -> WhereExpression {
        let f = current!
        guard f.kind == .word, !["and", "or", "not", "in"].contains(f.text.lowercased()) else {
            throw QueryError(text, column: f.column, "expected a field name, got '\(f.text)'")
        }
        index += 1
        terms += 1
        guard let op = current else { throw QueryError(text, column: end, "expected an operator after '\(f.text)'") }
        if isKeyword(op, "in") {
            index += 1
            guard let open = current, open.kind == .symbol, open.text == "(" else {
                throw QueryError(text, column: current?.column ?? end, "expected '(' after in")
            }
            index += 1
            var values = [try literal()]
            while let c = current, c.kind == .symbol, c.text == "," {
                index += 1
                values.append(try literal())
            }
            guard let close = current, close.kind == .symbol, close.text == ")" else {
                throw QueryError(text, column: current?.column ?? end, "expected ',' or ')' in the list opened at column \(open.column)")
            }
            index += 1
            return .member(field: f.text, values: values, position: f.column)
        }
        guard op.kind == .symbol, let o = ComparisonOperator(rawValue: op.text) else {
            throw QueryError(text, column: op.column, "expected =, !=, <, <=, >, >= or in after '\(f.text)', got '\(op.text)'")
        }
        index += 1
        return .comparison(field: f.text, op: o, value: try literal(), position: f.column)
    }

    mutating func literal() throws(QueryError) -> QueryLiteral {
        guard let t = current else { throw QueryError(text, column: end, "expected a value, got the end") }
        index += 1
        switch t.kind {
        case .number: return .number(Double(t.text)!)
        case .string: return .text(t.text)
        case .word:
            switch t.text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "and", "or", "not", "in": throw QueryError(text, column: t.column, "expected a value, got the keyword '\(t.text)' (quote it to mean the word)")
            default: return .text(t.text)
            }
        case .symbol: throw QueryError(text, column: t.column, "expected a value, got '\(t.text)'")
        }
    }
}
