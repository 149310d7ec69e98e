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
        try Row.fetchAll(db, sql: c.sql, arguments: StatementArguments(sqlValues: c.arguments)).map { row in
            try c.sample(config: row["config"], metric: row["metric"])
        }
    }

    /// Pairs the samples and summarizes them (outside the read transaction).
    static func compare(_ c: CompiledComparison, _ samples: [PairedComparison.Sample]) throws -> PairedComparison {
        try c.result(samples)
    }
}
