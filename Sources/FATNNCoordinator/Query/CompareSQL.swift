import FATNNJobs
import Foundation

/// A ``CompareQuery`` checked and compiled: the compared key, and one parameterized statement
/// that reads the canonical config and the metric of every succeeded job the filter and sweep keep.
public struct CompiledComparison: Sendable {
    let query: CompareQuery
    let key: ComparisonKey
    /// Keys a pair's jobs may also differ in.
    let ignored: [ComparisonKey]
    /// The statement: one row per compared job, columns `config` (its JSON text) and `metric`.
    public let sql: String
    /// Its parameters, in order.
    public let arguments: [SQLValue]

    /// - Throws: ``QueryError`` for an unknown key or metric, or an invalid filter.
    /// The comparison `q` as one statement in dialect `d`.
    ///
    /// - Throws: ``QueryError`` for an unknown key, metric or an invalid filter.
    public init(_ q: CompareQuery, dialect d: SQLDialect = .sqlite) throws(QueryError) {
        key = try ComparisonKey(q.by)
        var ignored: [ComparisonKey] = []
        for name in q.ignoring {
            let k: ComparisonKey
            do { k = try ComparisonKey(name) } catch { throw QueryError(parameter: "ignore: \(error.message)") }
            guard k.path != key.path else { throw QueryError(parameter: "ignore: \(name) is the compared key itself") }
            ignored.append(k)
        }
        self.ignored = ignored
        guard let metric = QueryFields.metrics(d).first(where: { $0.0 == q.metric })?.1 else {
            throw QueryError(parameter: "unknown metric '\(q.metric)'; metrics: \(QueryFields.metrics.map(\.0).joined(separator: ", "))")
        }
        var args: [SQLValue] = []
        var conditions = ["j.state = 'succeeded'", "(\(metric)) IS NOT NULL"]
        if !q.filter.trimmingCharacters(in: .whitespaces).isEmpty {
            conditions.append(try QuerySQL.condition(try WhereExpression.parse(q.filter), text: q.filter, args: &args, dialect: d))
        }
        if let sweep = q.sweep {
            conditions.append("s.name = ?")
            args.append(.text(sweep))
        }
        sql = "SELECT j.config AS config, (\(metric)) AS metric FROM jobs j JOIN sweeps s ON s.id = j.sweep_id"
            + " JOIN results r ON r.job_id = j.id WHERE " + conditions.map { "(\($0))" }.joined(separator: " AND ") + " ORDER BY j.id"
        arguments = args
        query = q
    }
}

extension CompiledComparison {
    /// One job's sample from a row of ``sql``: its config (minus the ignored keys) split into the
    /// pairing key and the compared value, and its metric.
    public func sample(config: String, metric: Double) throws -> PairedComparison.Sample {
        let decoded = ignored.reduce(try JSONDecoder().decode(JSONValue.self, from: Data(config.utf8))) { $1.strip($0) }
        let (pairKey, value) = key.split(decoded)
        return PairedComparison.Sample(pairKey: pairKey, value: value, metric: metric)
    }

    /// Pairs the samples and summarizes them.
    public func result(_ samples: [PairedComparison.Sample]) throws -> PairedComparison {
        var result = try PairedComparison.compute(samples, key: key, baseline: query.baseline, metric: query.metric)
        if !query.ignoring.isEmpty { result.ignoring = query.ignoring }
        return result
    }
}
