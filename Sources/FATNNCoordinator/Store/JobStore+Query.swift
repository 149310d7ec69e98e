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
        var fetched = try Row.fetchAll(db, sql: c.sql, arguments: StatementArguments(sqlValues: c.arguments))
        if let rest = c.rest, fetched.count < rest.limit {
            fetched += try Row.fetchAll(db, sql: rest.sql,
                                        arguments: StatementArguments(sqlValues: rest.arguments + [.integer(Int64(rest.limit - fetched.count))]))
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

extension StatementArguments {
    /// Library-neutral values as GRDB arguments.
    init(sqlValues: [SQLValue]) {
        self.init(sqlValues.map { v -> (any DatabaseValueConvertible)? in
            switch v {
            case .null: nil
            case .integer(let i): i
            case .real(let d): d
            case .text(let s): s
            case .blob(let b): b
            }
        })
    }
}
