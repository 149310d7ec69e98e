import FATNNCoordinator
import FATNNJobs
import Foundation
import PostgresNIO

/// The query language on PostgreSQL: the statements the SQLite store runs, written in
/// PostgreSQL's dialect (``SQLDialect/postgresql``: JSON operators, `GREATEST`, grouped rows
/// sorted as a subquery's). Grouped queries aggregate the jobs themselves: the per-group summary
/// table the SQLite store keeps is not kept here yet.
extension PostgresJobStore: JobQueryStore {
    public func query(_ q: LeaderboardQuery) async throws -> QueryTable {
        let c = try CompiledQuery(q, dialect: .postgresql)
        return try await read { tx in
            var rows = try await tx.rows(c.sql, c.arguments)
            if let rest = c.rest, rows.count < rest.limit {
                rows += try await tx.rows(rest.sql, rest.arguments + [SQLValue.integer(Int64(rest.limit - rows.count))])
            }
            return QueryTable(columns: c.columns, rows: try rows.map { row in try c.columns.map { try Self.value(row[$0], column: $0) } })
        }
    }

    public func compare(_ q: CompareQuery) async throws -> PairedComparison {
        let c = try CompiledComparison(q, dialect: .postgresql)
        let samples = try await read { tx in
            try await tx.rows(c.sql, c.arguments).map { try c.sample(config: try $0.get("config"), metric: try $0.get("metric")) }
        }
        return try c.result(samples)
    }

    /// A cell as the SQLite store reports it: numbers (non-finite ones as null), text, and
    /// `packed_exact` as a boolean.
    static func value(_ cell: PostgresCell, column: String) throws -> JSONValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            let i = try cell.decode(Int64.self)
            return column == "packed_exact" ? .bool(i != 0) : .number(Double(i))
        case .float4, .float8:
            let d = try cell.decode(Double.self)
            guard d.isFinite else { return .null }
            return column == "packed_exact" ? .bool(d != 0) : .number(d)
        case .text, .varchar, .name, .bpchar:
            return .string(try cell.decode(String.self))
        case .bool:
            return .bool(try cell.decode(Bool.self))
        default:
            throw PostgresStoreError.unexpectedColumn(column, "\(cell.dataType)")
        }
    }
}
