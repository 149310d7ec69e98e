import FATNNJobs

extension QuerySQL {
    /// Group keys a selection can pick within (constant within a group; a group's sweep is not).
    static let selectionKeys = ["model", "quantizer", "dataset", "split", "lr", "epochs"]

    /// A grouped query with ``LeaderboardQuery/select`` and ``LeaderboardQuery/by``: the grouped
    /// query of every group, then per combination of the `by` keys the group with the best mean
    /// of the selection metric (ties: more finished jobs, then the lower group hash), sorted and
    /// limited as asked. Groups without the metric take no part. The `by` keys are shown first
    /// when `columns` leaves them out.
    static func selecting(_ q: LeaderboardQuery, dialect d: SQLDialect = .sqlite) throws(QueryError) -> CompiledQuery {
        guard let select = q.select, let by = q.by, !by.isEmpty else {
            throw QueryError(parameter: q.select == nil
                             ? "by: needs select (the metric to pick the best config by, e.g. select=val_acc)"
                             : "select: needs by (the group keys to pick the best config within, e.g. by=quantizer)")
        }
        guard q.group else {
            throw QueryError(parameter: "select: picks among configs (groups over seeds); it cannot be used per job (group=false)")
        }
        for key in by where !selectionKeys.contains(key) {
            throw QueryError(parameter: "by: unknown key '\(key)'; allowed: \(selectionKeys.joined(separator: ", "))")
        }
        guard Set(by).count == by.count else { throw QueryError(parameter: "by: a key is named twice") }
        let parts = select.split(separator: ":", maxSplits: 1).map(String.init)
        let metric = parts.first ?? ""
        guard QueryFields.metrics.contains(where: { $0.0 == metric }) else {
            throw QueryError(parameter: "select: unknown metric '\(metric)'; metrics: \(QueryFields.metrics.map(\.0).joined(separator: ", "))")
        }
        let direction = parts.count > 1 ? parts[1].lowercased() : "desc"
        guard direction == "desc" || direction == "asc" else {
            throw QueryError(parameter: "select: direction must be desc (highest mean) or asc (lowest), got '\(direction)'")
        }
        let criterion = metric + "_mean"
        let requested = q.columns ?? QueryFields.defaultGroupColumns
        let columns = by.filter { !requested.contains($0) } + requested
        let (sortColumn, descending) = try sortKey(q.sort ?? "test_acc:desc", group: true, available: QueryFields.groupColumns)
        var inner = q
        inner.select = nil
        inner.by = nil
        inner.columns = columns + [criterion, "n", sortColumn].filter { !columns.contains($0) }
        inner.sort = criterion + ":" + direction
        inner.limit = LeaderboardQuery.maxLimit
        let all = try compile(inner, dialect: d)
        // Every name spliced below is one of the fixed column names checked above.
        let partition = by.map { "w.\"\($0)\"" }.joined(separator: ", ")
        let pick = "row_number() OVER (PARTITION BY \(partition) ORDER BY w.\"\(criterion)\" \(direction.uppercased()), w.\"n\" DESC, w.gh)"
        let sql = "SELECT * FROM (SELECT w.*, \(pick) AS pick FROM (\(all.sql)) w WHERE w.\"\(criterion)\" IS NOT NULL) p WHERE pick = 1"
            + " ORDER BY \"\(sortColumn)\" IS NULL, \"\(sortColumn)\" \(descending ? "DESC" : "ASC"), gh LIMIT ?"
        return CompiledQuery(sql: sql, arguments: all.arguments + [.integer(Int64(q.limit))], columns: columns, dialect: d)
    }
}
