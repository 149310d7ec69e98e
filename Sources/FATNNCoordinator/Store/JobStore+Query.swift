import FATNNJobs
import Foundation
import GRDB

extension JobStore {
    /// Answers a leaderboard query (see ``LeaderboardQuery`` and ``WhereExpression``).
    ///
    /// - Throws: ``QueryError`` for an invalid query, pointing at the offending token.
    public func query(_ q: LeaderboardQuery) throws -> QueryTable {
        let compiled = try QuerySQL.compile(q)
        return try pool.read { try Self.run(compiled, $0) }
    }

    static func run(_ c: CompiledQuery, _ db: Database) throws -> QueryTable {
        var fetched = try Row.fetchAll(db, sql: c.sql, arguments: c.arguments)
        if let rest = c.rest, fetched.count < rest.limit {
            var args = rest.arguments
            args += [rest.limit - fetched.count]
            fetched += try Row.fetchAll(db, sql: rest.sql, arguments: args)
        }
        let rows = fetched.map { row in
            c.columns.map { name -> JSONValue in
                let v: DatabaseValue = row[name]
                switch v.storage {
                case .null: return .null
                case .int64(let i): return name == "packed_exact" ? .bool(i != 0) : .number(Double(i))
                case .double(let d): return d.isFinite ? .number(d) : .null
                case .string(let s): return .string(s)
                case .blob: return .null
                }
            }
        }
        return QueryTable(columns: c.columns, rows: rows)
    }
}
