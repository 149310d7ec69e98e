import FATNNJobs
import Foundation
import GRDB

/// Reading a whole store out, table by table, for `fatnn-coord migrate` (a copy into PostgreSQL).
extension JobStore {
    /// The tables a copy moves, parents before children. The per-group summaries
    /// (`group_results`) are derived from them and are not copied.
    public static let copiedTables = ["sweeps", "jobs", "epochs", "results", "attempts", "job_artifacts", "tokens"]

    /// The columns of `table` (one of ``copiedTables``), in order.
    public func columns(of table: String) async throws -> [String] {
        guard Self.copiedTables.contains(table) else { throw StoreError.invalid(SweepError(path: "table", "'\(table)' is not copied")) }
        return try await pool.read { db in try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String } }
    }

    /// Up to `limit` rows of `table`'s `columns` (from ``columns(of:)``) after SQLite row id
    /// `after`, in row-id order.
    public func rows(of table: String, columns: [String], after: Int64, limit: Int) async throws -> [(rowid: Int64, values: [SQLValue])] {
        guard Self.copiedTables.contains(table) else { throw StoreError.invalid(SweepError(path: "table", "'\(table)' is not copied")) }
        // Names go into the statement: plain identifiers only (what PRAGMA table_info gives).
        guard columns.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) } }) else {
            throw StoreError.invalid(SweepError(path: "columns", "not plain column names: \(columns)"))
        }
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT rowid AS fatnn_rowid, \(columns.joined(separator: ", ")) FROM \(table) WHERE rowid > ? ORDER BY rowid LIMIT ?",
                             arguments: [after, limit]).map { row in
                (rowid: row["fatnn_rowid"] as Int64, values: columns.map { SQLValue(row[$0] as DatabaseValue) })
            }
        }
    }

    /// Rows in each of ``copiedTables``.
    public func tableCounts() async throws -> [String: Int] {
        try await pool.read { db in
            var out: [String: Int] = [:]
            for t in Self.copiedTables { out[t] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(t)") ?? 0 }
            return out
        }
    }
}

extension SQLValue {
    init(_ v: DatabaseValue) {
        switch v.storage {
        case .null: self = .null
        case .int64(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let b): self = .blob(b)
        }
    }
}
