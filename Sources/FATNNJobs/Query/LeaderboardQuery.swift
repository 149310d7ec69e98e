import Foundation

/// What `fatnn-coord results` and `GET /api/leaderboard` ask for: a filter in the
/// ``WhereExpression`` grammar, a sort, the columns, grouping over seeds, a limit and a sweep.
/// Sent as URL query items (`where`, `sort`, `columns`, `group`, `limit`, `sweep`, `select`,
/// `by`); the coordinator parses and compiles them into parameterized SQL, never splicing them in.
public struct LeaderboardQuery: Sendable, Equatable {
    /// Filter text (empty: every job).
    public var filter: String
    /// `COLUMN[:asc|desc]`; in grouped mode a metric name means its mean. Default `test_acc:desc`.
    public var sort: String?
    /// Columns to return, in order (nil: the mode's defaults).
    public var columns: [String]?
    /// One row per config minus seed (n, mean, sample std, min, max per metric) instead of per job.
    public var group: Bool
    /// At most this many rows.
    public var limit: Int
    /// Only jobs of this sweep.
    public var sweep: String?
    /// Model selection (grouped mode, with ``by``): `METRIC[:desc|asc]`; per value of the ``by``
    /// keys only the config (group) with the highest (`desc`, the default) or lowest (`asc`)
    /// mean of METRIC is returned, e.g. `val_acc` to pick on validation and report test accuracy.
    public var select: String?
    /// The group keys ``select`` picks within (`model`, `quantizer`, `dataset`, `split`, `lr`, `epochs`).
    public var by: [String]?

    public static let maxLimit = 1_000_000

    public init(filter: String = "", sort: String? = nil, columns: [String]? = nil, group: Bool = true, limit: Int = 1000,
                sweep: String? = nil, select: String? = nil, by: [String]? = nil) {
        self.filter = filter; self.sort = sort; self.columns = columns; self.group = group; self.limit = limit; self.sweep = sweep
        self.select = select; self.by = by
    }

    /// The query as URL query items.
    public var queryItems: [(String, String)] {
        var out: [(String, String)] = [("group", group ? "true" : "false"), ("limit", String(limit))]
        if !filter.isEmpty { out.append(("where", filter)) }
        if let sort { out.append(("sort", sort)) }
        if let columns { out.append(("columns", columns.joined(separator: ","))) }
        if let sweep { out.append(("sweep", sweep)) }
        if let select { out.append(("select", select)) }
        if let by { out.append(("by", by.joined(separator: ","))) }
        return out
    }

    /// Reads a query from URL query items (unknown names are errors).
    public static func from(items: [(String, String)]) throws(QueryError) -> LeaderboardQuery {
        var q = LeaderboardQuery()
        for (name, value) in items {
            switch name {
            case "where": q.filter = value
            case "sort": q.sort = value
            case "columns": q.columns = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "sweep": q.sweep = value
            case "select": q.select = value
            case "by": q.by = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "group":
                guard let b = ["true": true, "1": true, "false": false, "0": false][value] else {
                    throw QueryError(value, column: 1, "group must be true or false")
                }
                q.group = b
            case "limit":
                guard let n = Int(value), (1...maxLimit).contains(n) else {
                    throw QueryError(value, column: 1, "limit must be an integer in 1...\(maxLimit)")
                }
                q.limit = n
            default: throw QueryError(name, column: 1, "unknown query parameter '\(name)'; allowed: where, sort, columns, group, limit, sweep, select, by")
            }
        }
        return q
    }
}

/// A query's answer: named columns and rows of JSON values (numbers, strings, booleans, null).
public struct QueryTable: Codable, Sendable, Equatable {
    public var columns: [String]
    public var rows: [[JSONValue]]
    public init(columns: [String], rows: [[JSONValue]]) { self.columns = columns; self.rows = rows }
}
