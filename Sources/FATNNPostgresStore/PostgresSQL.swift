import FATNNCoordinator
import Foundation
import Logging
import PostgresNIO

/// SQL written with `?` placeholders (as the shared lifecycle SQL is) sent to PostgreSQL with
/// numbered parameters; every value is bound, never spliced into the text.
enum PostgresSQL {
    /// `sql` with its `?` placeholders numbered `$1`, `$2`, … (a `?` inside a quoted literal is left alone).
    static func numbered(_ sql: String) -> String {
        // Over UTF-8 bytes ('?' and '\'' are ASCII, never part of a multi-byte character): this
        // runs for every statement sent, and walking Characters cost several % of a claim.
        var out: [UInt8] = [], n = 0, quoted = false
        out.reserveCapacity(sql.utf8.count + 64)
        for b in sql.utf8 {
            if b == UInt8(ascii: "'") { quoted.toggle() }
            if b == UInt8(ascii: "?") && !quoted {
                n += 1
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: String(n).utf8)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A query of `sql` with `values` bound in order.
    static func query(_ sql: String, _ values: [SQLValue]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: values.count)
        for v in values {
            switch v {
            case .null: binds.appendNull()
            case .integer(let i): binds.append(i)
            case .real(let d): binds.append(d)
            case .text(let s): binds.append(s)
            case .blob(let b): binds.append(ByteBuffer(bytes: b))
            }
        }
        return PostgresQuery(unsafeSQL: numbered(sql), binds: binds)
    }
}

/// A statement with `?` placeholders and the values to bind, in order.
struct SQLStatement {
    let sql: String
    let args: [SQLValue]
    init(_ sql: String, _ args: [SQLValue]) { self.sql = sql; self.args = args }
}

/// Values that bind as ``SQLValue``s, so that statements read as `[id, token, t]`.
protocol SQLBindable { var sqlValue: SQLValue { get } }
extension Int64: SQLBindable { var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLBindable { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Double: SQLBindable { var sqlValue: SQLValue { .real(self) } }
extension String: SQLBindable { var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLBindable { var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension SQLValue: SQLBindable { var sqlValue: SQLValue { self } }
extension Data: SQLBindable { var sqlValue: SQLValue { .blob(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable { var sqlValue: SQLValue { self?.sqlValue ?? .null } }

/// One transaction's connection, with the store's logger.
struct PostgresTx {
    let connection: PostgresConnection
    let logger: Logger

    /// The rows `sql` returns.
    func rows(_ sql: String, _ args: [any SQLBindable] = []) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(PostgresSQL.query(sql, args.map(\.sqlValue)), logger: logger).collect().map { $0.makeRandomAccess() }
    }

    /// The first row `sql` returns, or nil.
    func row(_ sql: String, _ args: [any SQLBindable] = []) async throws -> PostgresRandomAccessRow? {
        try await rows(sql, args).first
    }

    /// Runs `sql` (its rows, if any, are dropped).
    func execute(_ sql: String, _ args: [any SQLBindable] = []) async throws {
        _ = try await rows(sql, args)
    }

    /// Runs `statement` (its rows, if any, are dropped).
    func execute(_ statement: SQLStatement) async throws {
        _ = try await connection.query(PostgresSQL.query(statement.sql, statement.args), logger: logger).collect()
    }

}

extension PostgresRandomAccessRow {
    /// The value of `column` as `T` (nil for SQL NULL when `T` is optional).
    func get<T: PostgresDecodable>(_ column: String, as: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}

extension PostgresTx {
    /// The rows of a prepared statement.
    func rows<S: PostgresPreparedStatement>(_ statement: S) async throws -> [PostgresRandomAccessRow] where S.Row == PostgresRandomAccessRow {
        var out: [PostgresRandomAccessRow] = []
        for try await row in try await connection.execute(statement, logger: logger) { out.append(row) }
        return out
    }
}
