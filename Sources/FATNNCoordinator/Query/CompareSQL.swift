import FATNNJobs
import GRDB

/// A ``CompareQuery`` checked and compiled: the compared key, and one parameterized statement
/// that reads the canonical config and the metric of every succeeded job the filter and sweep keep.
struct CompiledComparison {
    let query: CompareQuery
    let key: ComparisonKey
    /// Keys a pair's jobs may also differ in.
    let ignored: [ComparisonKey]
    let sql: String
    let arguments: StatementArguments

    /// - Throws: ``QueryError`` for an unknown key or metric, or an invalid filter.
    init(_ q: CompareQuery) throws(QueryError) {
        key = try ComparisonKey(q.by)
        var ignored: [ComparisonKey] = []
        for name in q.ignoring {
            let k: ComparisonKey
            do { k = try ComparisonKey(name) } catch { throw QueryError(parameter: "ignore: \(error.message)") }
            guard k.path != key.path else { throw QueryError(parameter: "ignore: \(name) is the compared key itself") }
            ignored.append(k)
        }
        self.ignored = ignored
        guard let metric = QueryFields.metrics.first(where: { $0.0 == q.metric })?.1 else {
            throw QueryError(parameter: "unknown metric '\(q.metric)'; metrics: \(QueryFields.metrics.map(\.0).joined(separator: ", "))")
        }
        var args = StatementArguments()
        var conditions = ["j.state = 'succeeded'", "(\(metric)) IS NOT NULL"]
        if !q.filter.trimmingCharacters(in: .whitespaces).isEmpty {
            conditions.append(try QuerySQL.condition(try WhereExpression.parse(q.filter), text: q.filter, args: &args))
        }
        if let sweep = q.sweep {
            conditions.append("s.name = ?")
            args += [sweep]
        }
        sql = "SELECT j.config AS config, (\(metric)) AS metric FROM jobs j JOIN sweeps s ON s.id = j.sweep_id"
            + " JOIN results r ON r.job_id = j.id WHERE " + conditions.map { "(\($0))" }.joined(separator: " AND ") + " ORDER BY j.id"
        arguments = args
        query = q
    }
}
