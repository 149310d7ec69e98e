import FATNNCoordinator
import FATNNJobs
import Foundation

/// Copying a SQLite store into this (empty) PostgreSQL store: `fatnn-coord migrate`.
extension PostgresJobStore {
    /// Copies every row of `source`'s tables (``JobStore/copiedTables``: jobs with their ids,
    /// attempts, epochs, results, models, tokens) in one transaction, so a failed copy leaves
    /// nothing behind; then moves the id sequences past the copied ids and checks that every
    /// table holds as many rows as the source.
    ///
    /// - Parameter progress: called after each batch with the table and the rows copied so far.
    /// - Returns: the rows copied per table.
    /// - Throws: ``PostgresStoreError/notEmpty(_:)`` when this store holds jobs or sweeps already;
    ///   ``PostgresStoreError/countMismatch(_:source:copied:)`` when a table came out different
    ///   (the source changed during the copy: stop its coordinator first).
    public func copy(from source: JobStore, progress: (String, Int) -> Void = { _, _ in }) async throws -> [String: Int] {
        let existing = try await read { tx in try await tx.row("SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM sweeps) AS n")?.get("n", as: Int.self) ?? 0 }
        guard existing == 0 else { throw PostgresStoreError.notEmpty(existing) }
        let copied = try await transaction { tx in
            var copied: [String: Int] = [:]
            for table in JobStore.copiedTables {
                // Models are large: a few per statement; everything else 500 rows (under the
                // server's 65,535 parameters per statement).
                let batch = table == "job_artifacts" ? 4 : 500
                var after: Int64 = 0, n = 0
                let columns = try await source.columns(of: table)
                let row = "(" + columns.map { _ in "?" }.joined(separator: ", ") + ")"
                while true {
                    let rows = try await source.rows(of: table, columns: columns, after: after, limit: batch)
                    guard let last = rows.last else { break }
                    try await tx.execute("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                                         + Array(repeating: row, count: rows.count).joined(separator: ", "),
                                         rows.flatMap(\.values))
                    n += rows.count
                    after = last.rowid
                    progress(table, n)
                }
                copied[table] = n
            }
            for table in ["sweeps", "jobs", "attempts"] {
                try await tx.execute("""
                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE((SELECT max(id) FROM \(table)), 1),
                                  (SELECT max(id) FROM \(table)) IS NOT NULL)
                    """)
            }
            return copied
        }
        let expected = try await source.tableCounts()
        for table in JobStore.copiedTables {
            let here = try await read { tx in try await tx.row("SELECT count(*) AS n FROM \(table)")?.get("n", as: Int.self) ?? 0 }
            guard here == expected[table], copied[table] == expected[table] else {
                throw PostgresStoreError.countMismatch(table, source: expected[table] ?? 0, copied: here)
            }
        }
        try await read { tx in try await tx.execute("ANALYZE") }
        return copied
    }
}
