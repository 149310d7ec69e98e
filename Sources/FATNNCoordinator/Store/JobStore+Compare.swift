import FATNNJobs
import Foundation
import GRDB

extension JobStore {
    /// Answers a paired comparison (see ``CompareQuery`` and ``PairedComparison``).
    ///
    /// - Throws: ``QueryError`` for an unknown key, metric or baseline value, or an invalid filter.
    public func compare(_ q: CompareQuery) throws -> PairedComparison {
        let compiled = try CompiledComparison(q)
        return try Self.compare(compiled, try pool.read { try Self.comparisonSamples(compiled, $0) })
    }

    /// The pairing samples of the jobs the comparison reads (a read transaction's body).
    static func comparisonSamples(_ c: CompiledComparison, _ db: Database) throws -> [PairedComparison.Sample] {
        let decoder = JSONDecoder()
        return try Row.fetchAll(db, sql: c.sql, arguments: c.arguments).map { row in
            let config = c.ignored.reduce(try decoder.decode(JSONValue.self, from: Data((row["config"] as String).utf8))) { $1.strip($0) }
            let (pairKey, value) = c.key.split(config)
            return PairedComparison.Sample(pairKey: pairKey, value: value, metric: row["metric"])
        }
    }

    /// Pairs the samples and summarizes them (outside the read transaction).
    static func compare(_ c: CompiledComparison, _ samples: [PairedComparison.Sample]) throws -> PairedComparison {
        var result = try PairedComparison.compute(samples, key: c.key, baseline: c.query.baseline, metric: c.query.metric)
        if !c.query.ignoring.isEmpty { result.ignoring = c.query.ignoring }
        return result
    }
}
