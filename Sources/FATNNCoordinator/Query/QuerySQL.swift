import FATNNJobs
import Foundation

/// A ``LeaderboardQuery`` compiled to one SQL statement with bound arguments. Every name in the
/// query is checked against ``QueryFields`` first; values are always bound, never spliced.
public struct CompiledQuery: Sendable {
    /// The statement.
    public internal(set) var sql: String
    /// Its parameters, in order.
    public internal(set) var arguments: [SQLValue]
    /// The columns to return, in order (a subset of what the statement selects).
    public internal(set) var columns: [String]
    /// When the statement returns fewer rows than `limit`, this one (given the remaining count as
    /// its last argument) returns the rows that follow them: see ``QuerySQL/byIndexedMetric(_:select:conditions:args:)``.
    public internal(set) var rest: (sql: String, arguments: [SQLValue], limit: Int)? = nil
    /// The backend it was written for.
    public internal(set) var dialect: SQLDialect = .sqlite

    /// The leaderboard query `q` in dialect `d`: every name checked, every value bound.
    ///
    /// - Throws: ``QueryError`` pointing at the offending part of the query.
    public init(_ q: LeaderboardQuery, dialect d: SQLDialect) throws(QueryError) {
        self = try QuerySQL.compile(q, dialect: d)
    }

    init(sql: String, arguments: [SQLValue], columns: [String], rest: (sql: String, arguments: [SQLValue], limit: Int)? = nil,
         dialect: SQLDialect = .sqlite) {
        self.sql = sql; self.arguments = arguments; self.columns = columns; self.rest = rest; self.dialect = dialect
    }
}

enum QuerySQL {
    /// What both compilation paths need, checked once: the parsed filter, the columns, the sort.
    struct Plan {
        let query: LeaderboardQuery
        let filter: WhereExpression?
        let columns: [String]
        let sortColumn: String
        let descending: Bool
        let dialect: SQLDialect
        /// Columns computed: those returned and the one sorted by.
        var needed: Set<String> { Set(columns + [sortColumn]) }

        func orderBy(tiebreak: String) -> String {
            // Per job, a named field sorts by its expression: a quoted alias inside an expression
            // resolves against the tables first, where `id` is ambiguous (jobs and sweeps have one).
            let key = !query.group ? QueryFields.all(dialect)[sortColumn].map { "(\($0.sql))" } ?? "\"\(sortColumn)\"" : "\"\(sortColumn)\""
            return Self.orderBy(key, descending: descending, tiebreak: tiebreak)
        }

        static func orderBy(_ key: String, descending: Bool, tiebreak: String) -> String {
            " ORDER BY \(key) IS NULL, \(key) \(descending ? "DESC" : "ASC"), \(tiebreak) LIMIT ?"
        }
    }

    /// - Parameter indexed: false forces the single statement that scans every job (tests compare
    ///   it with the index-driven plan).
    static func compile(_ q: LeaderboardQuery, indexed: Bool = true, dialect d: SQLDialect = .sqlite) throws(QueryError) -> CompiledQuery {
        if q.select != nil || q.by != nil { return try selecting(q, dialect: d) }
        let filter = q.filter.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try WhereExpression.parse(q.filter)
        let available = q.group ? QueryFields.groupColumns : QueryFields.jobColumns
        let columns = q.columns ?? (q.group ? QueryFields.defaultGroupColumns : QueryFields.defaultJobColumns)
        for c in columns where !available.contains(c) {
            throw QueryError(columns.joined(separator: ","), column: 1,
                             "unknown column '\(c)'\(q.group ? " in grouped mode" : ""); allowed: \(available.joined(separator: ", "))")
        }
        guard !columns.isEmpty else { throw QueryError("", column: 1, "columns: give at least one") }
        let (sortColumn, descending) = try sortKey(q.sort ?? "test_acc:desc", group: q.group, available: available)
        let plan = Plan(query: q, filter: filter, columns: columns, sortColumn: sortColumn, descending: descending, dialect: d)
        // The per-group summary table is kept by the SQLite store only.
        if q.group, d == .sqlite, let fast = try fromSummary(plan) { return fast }

        var args: [SQLValue] = []
        var conditions: [String] = []
        if let filter { conditions.append(try condition(filter, text: q.filter, args: &args, dialect: d)) }
        if let sweep = q.sweep {
            conditions.append("s.name = ?")
            args.append(.text(sweep))
        }
        var select: [String]
        if q.group {
            let fields = QueryFields.all(d)
            select = ["j.group_hash AS gh"] + QueryFields.groupKeys.map { "min(\(fields[$0]!.sql)) AS \"\($0)\"" }
            select += ["count(*) AS \"jobs\"", "count(r.job_id) AS \"n\""]
            for (m, x) in QueryFields.metrics(d) {
                select += aggregates(m, needed: plan.needed, [
                    ("mean", "avg(\(x))"),
                    // From the sums, as the summary path computes it, so that both paths agree.
                    ("std", "sqrt(\(d.greatest("0.0", "(sum((\(x)) * (\(x))) - sum(\(x)) * sum(\(x)) / nullif(count(\(x)), 0)) / nullif(count(\(x)) - 1, 0)")))"),
                    ("min", "min(\(x))"), ("max", "max(\(x))")])
            }
        } else {
            let fields = QueryFields.all(d)
            select = QueryFields.jobColumns.map { "\(fields[$0]!.sql) AS \"\($0)\"" }
            if indexed, let fast = byIndexedMetric(plan, select: select, conditions: conditions, args: args) { return fast }
        }
        var sql = "SELECT " + select.joined(separator: ", ")
            + " FROM jobs j JOIN sweeps s ON s.id = j.sweep_id LEFT JOIN results r ON r.job_id = j.id"
        if !conditions.isEmpty { sql += " WHERE " + conditions.map { "(\($0))" }.joined(separator: " AND ") }
        // Grouped rows are groups with at least one result, as in the summary path.
        if q.group { sql += " GROUP BY j.group_hash HAVING count(r.job_id) > 0" }
        if q.group && d == .postgresql {
            // PostgreSQL takes output names in ORDER BY only bare, not inside expressions: sort
            // the groups as rows of a subquery.
            sql = "SELECT * FROM (\(sql)) q" + Plan.orderBy("q.\"\(sortColumn)\"", descending: descending, tiebreak: "q.gh")
        } else {
            sql += plan.orderBy(tiebreak: q.group ? "j.group_hash" : "j.id")
        }
        args.append(.integer(Int64(q.limit)))
        return CompiledQuery(sql: sql, arguments: args, columns: columns, dialect: d)
    }

    /// Per-job metrics that every results row has and that an index orders (`results_accuracy`).
    static let indexedMetrics = ["test_acc": "r.test_accuracy"]

    /// A per-job query sorted by an indexed metric, in two statements instead of one scan of
    /// every job: first the jobs with a result, read in index order from `results` (so a top 50
    /// stops after about 50 index entries when the filter matches often), then, only if those
    /// are fewer than the limit, the jobs without a result (a NULL metric sorts last), by id.
    /// The rows and their order are the single statement's.
    static func byIndexedMetric(_ plan: Plan, select: [String], conditions: [String], args: [SQLValue]) -> CompiledQuery? {
        guard let column = indexedMetrics[plan.sortColumn] else { return nil }
        let selectList = "SELECT " + select.joined(separator: ", ")
        let filter = conditions.map { " AND (\($0))" }.joined()
        // SQLite: CROSS JOIN keeps results as the outer loop, so the index gives the order
        // (PostgreSQL's planner chooses its own order, and has no CROSS JOIN … ON).
        let join = plan.dialect == .sqlite ? "CROSS JOIN" : "JOIN"
        let withResult = selectList + " FROM results r \(join) jobs j ON j.id = r.job_id JOIN sweeps s ON s.id = j.sweep_id"
            + " WHERE \(plan.dialect.alwaysTrue)" + filter + " ORDER BY \(column) \(plan.descending ? "DESC" : "ASC"), j.id LIMIT ?"
        let withoutResult = selectList + " FROM jobs j JOIN sweeps s ON s.id = j.sweep_id LEFT JOIN results r ON r.job_id = j.id"
            + " WHERE r.job_id IS NULL" + filter + " ORDER BY j.id LIMIT ?"
        return CompiledQuery(sql: withResult, arguments: args + [.integer(Int64(plan.query.limit))], columns: plan.columns,
                             rest: (withoutResult, args, plan.query.limit), dialect: plan.dialect)
    }

    /// The select items of one metric's aggregates (`METRIC_mean`, …) that `needed` asks for.
    static func aggregates(_ metric: String, needed: Set<String>, _ parts: [(name: String, sql: String)]) -> [String] {
        parts.filter { needed.contains("\(metric)_\($0.name)") }.map { "\($0.sql) AS \"\(metric)_\($0.name)\"" }
    }

    /// A grouped query answered from `group_results` (see ``GroupSummary``), when it has no
    /// sweep, its filter names only group keys and it does not sort by the job count; nil otherwise.
    static func fromSummary(_ plan: Plan) throws(QueryError) -> CompiledQuery? {
        let q = plan.query
        guard q.sweep == nil, plan.sortColumn != "jobs" else { return nil }
        var args: [SQLValue] = []
        var condition = ""
        if let e = plan.filter {
            guard e.fields.allSatisfy({ GroupSummary.fields[$0.name] != nil }) else { return nil }
            condition = " WHERE " + (try Self.condition(e, text: q.filter, args: &args, fields: GroupSummary.fields))
        }
        var select = ["g.group_hash AS gh", "g.sweep AS \"sweep\""] + GroupSummary.keys.map { "g.\($0.column) AS \"\($0.column)\"" }
        select.append("g.n AS \"n\"")
        for (m, _) in QueryFields.metrics {
            let c = "g.\(m)_count", sum = "g.\(m)_sum"
            select += aggregates(m, needed: plan.needed, [
                ("mean", "\(sum) / nullif(\(c), 0)"),
                ("std", "sqrt(max(0.0, (g.\(m)_sumsq - \(sum) * \(sum) / nullif(\(c), 0)) / nullif(\(c) - 1, 0)))"),
                ("min", "g.\(m)_min"), ("max", "g.\(m)_max")])
        }
        let inner = "SELECT " + select.joined(separator: ", ") + " FROM group_results g" + condition + plan.orderBy(tiebreak: "g.group_hash")
        args.append(.integer(Int64(q.limit)))
        let sql = "SELECT q.*, (SELECT count(*) FROM jobs jj WHERE jj.group_hash = q.gh) AS \"jobs\" FROM (\(inner)) q"
        return CompiledQuery(sql: sql, arguments: args, columns: plan.columns)
    }

    /// `COLUMN[:asc|desc]`; grouped, a metric name means its mean.
    static func sortKey(_ text: String, group: Bool, available: [String]) throws(QueryError) -> (String, Bool) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        var name = parts.first ?? ""
        let direction = parts.count > 1 ? parts[1].lowercased() : "desc"
        guard direction == "asc" || direction == "desc" else {
            throw QueryError(text, column: name.count + 2, "sort direction must be asc or desc, got '\(direction)'")
        }
        if group, QueryFields.metrics.contains(where: { $0.0 == name }) { name += "_mean" }
        guard available.contains(name) else {
            throw QueryError(text, column: 1, "cannot sort by '\(name)'; allowed: \(available.joined(separator: ", "))")
        }
        return (name, direction == "desc")
    }

    static func condition(_ e: WhereExpression, text: String, args: inout [SQLValue], dialect d: SQLDialect = .sqlite,
                          fields given: [String: QueryFields.Field]? = nil) throws(QueryError) -> String {
        let fields = given ?? QueryFields.all(d)
        switch e {
        case .and, .or:
            // A chain of one operator is written flat, `(a) AND (b) AND (c)`, not nested one level
            // per term: SQLite's parser stack bounds nesting, not length.
            let isAnd: Bool
            if case .and = e { isAnd = true } else { isAnd = false }
            var parts: [String] = []
            for operand in chain(e, and: isAnd) {
                parts.append("(\(try condition(operand, text: text, args: &args, dialect: d, fields: fields)))")
            }
            return parts.joined(separator: isAnd ? " AND " : " OR ")
        case .not(let a):
            return "NOT (\(try condition(a, text: text, args: &args, dialect: d, fields: fields)))"
        case .comparison(let name, let op, let value, let position):
            let (sql, numeric) = try field(name, for: value, position: position, text: text, args: &args, dialect: d, fields: fields)
            try bind(value, numeric: numeric, field: name, position: position, text: text, args: &args, dialect: d)
            return "\(sql) \(op.rawValue) ?"
        case .member(let name, let values, let position):
            if d == .postgresql && fields[name] == nil {
                // A config path's expression depends on the literal's type: one comparison each.
                var parts: [String] = []
                for v in values {
                    let (sql, numeric) = try field(name, for: v, position: position, text: text, args: &args, dialect: d, fields: fields)
                    try bind(v, numeric: numeric, field: name, position: position, text: text, args: &args, dialect: d)
                    parts.append("\(sql) = ?")
                }
                return "(" + parts.joined(separator: " OR ") + ")"
            }
            let (sql, numeric) = try field(name, for: values.first, position: position, text: text, args: &args, dialect: d, fields: fields)
            for v in values { try bind(v, numeric: numeric, field: name, position: position, text: text, args: &args, dialect: d) }
            return "\(sql) IN (\(values.map { _ in "?" }.joined(separator: ", ")))"
        }
    }

    /// The operands of a chain of `and`s (or of `or`s), left to right.
    static func chain(_ e: WhereExpression, and isAnd: Bool) -> [WhereExpression] {
        switch e {
        case .and(let a, let b) where isAnd: return chain(a, and: true) + chain(b, and: true)
        case .or(let a, let b) where !isAnd: return chain(a, and: false) + chain(b, and: false)
        default: return [e]
        }
    }

    /// The SQL of a field (binding a config path's JSON path), and whether it is numeric (nil:
    /// unknown). On PostgreSQL a config path is read as the type of the literal it meets (a JSON
    /// value of another type reads as NULL, or as its text, as SQLite's comparison would fail).
    static func field(_ name: String, for literal: QueryLiteral? = nil, position: Int, text: String, args: inout [SQLValue],
                      dialect d: SQLDialect = .sqlite, fields: [String: QueryFields.Field]) throws(QueryError) -> (String, Bool?) {
        if let f = fields[name] { return (f.sql, f.numeric) }
        if QueryFields.isConfigPath(name) {
            switch d {
            case .sqlite:
                args.append(.text("$." + name))
                return ("json_extract(j.config, ?)", nil)
            case .postgresql:
                let path = SQLValue.text("{" + name.split(separator: ".").joined(separator: ",") + "}")
                if case .number = literal {
                    args += [path, path]
                    return ("(CASE WHEN jsonb_typeof(j.config::jsonb #> ?::text[]) = 'number' THEN (j.config::jsonb #>> ?::text[])::float8 END)", nil)
                }
                args.append(path)
                return ("(j.config::jsonb #>> ?::text[])", nil)
            }
        }
        let known = QueryFields.all.keys.sorted().joined(separator: ", ")
        throw QueryError(text, column: position, "unknown field '\(name)'; fields: \(known), or a config key path such as training.momentum")
    }

    static func bind(_ v: QueryLiteral, numeric: Bool?, field: String, position: Int, text: String,
                     args: inout [SQLValue], dialect d: SQLDialect = .sqlite) throws(QueryError) {
        switch v {
        case .number(let n):
            if numeric == false { throw QueryError(text, column: position, "\(field) is text; compare it with a word or a quoted string, not \(n)") }
            args.append(.real(n))
        case .bool(let b):
            // SQLite reads JSON booleans as 1 and 0; on PostgreSQL a config path (or a text field)
            // is text ('true'), a numeric field (packed_exact) a number.
            args.append(d == .postgresql && numeric != true ? .text(b ? "true" : "false") : .integer(b ? 1 : 0))
        case .text(let s):
            if numeric == true { throw QueryError(text, column: position, "\(field) is a number; '\(s)' is not") }
            args.append(.text(s))
        }
    }
}
