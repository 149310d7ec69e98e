/// Where the SQL of the query language differs between the store backends: JSON access, scalar
/// maxima, boolean literals, join spelling, and aliases in ORDER BY expressions. Everything else
/// the compiler writes is plain SQL both run.
public enum SQLDialect: Sendable {
    case sqlite
    case postgresql

    /// What a JSON value is read as.
    enum JSONType { case number, text, bool }

    /// The value at the fixed key `path` of the JSON text column `column` (SQLite reads JSON
    /// booleans as 1 and 0; PostgreSQL's expression gives the same numbers).
    func json(_ column: String, _ path: [String], as type: JSONType) -> String {
        switch self {
        case .sqlite:
            return "json_extract(\(column), '$.\(path.joined(separator: "."))')"
        case .postgresql:
            let text = "(\(column)::jsonb #>> '{\(path.joined(separator: ","))}')"
            switch type {
            case .number: return "(\(text)::float8)"
            case .text: return text
            case .bool: return "(CASE \(text) WHEN 'true' THEN 1.0::float8 WHEN 'false' THEN 0.0::float8 END)"
            }
        }
    }

    /// The larger of two numbers, NULL when `b` is (SQLite's two-argument `max`; PostgreSQL's
    /// `GREATEST` skips NULLs, so it is guarded).
    func greatest(_ a: String, _ b: String) -> String {
        self == .sqlite ? "max(\(a), \(b))" : "(CASE WHEN (\(b)) IS NULL THEN NULL ELSE GREATEST(\(a), \(b)) END)"
    }

    /// A condition that always holds.
    var alwaysTrue: String { self == .sqlite ? "1" : "true" }
}
