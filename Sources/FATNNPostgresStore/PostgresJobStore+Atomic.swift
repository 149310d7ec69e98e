import FATNNCoordinator
import FATNNJobs
import PostgresNIO

/// Lifecycle events as one statement each, outside a transaction block: the hot path of a job
/// (heartbeats and results) in two round trips instead of four (BEGIN, lock and read, write,
/// COMMIT).
///
/// The job's row is read without a lock, the rulebook applied in Swift as everywhere, and every
/// write sent as one statement whose first part updates the row only if it still holds every
/// lifecycle column as read (compare-and-swap), and whose other parts run only if that update
/// did (`EXISTS (SELECT 1 FROM j)`). A row changed in between (a reaper, another coordinator)
/// makes the statement change nothing; the event is then read and applied again, so it meets the
/// row as the other writer left it (usually: a stale claim, refused).
extension PostgresJobStore {
    /// The gate of ``GatedStatement``s: the compare-and-swap update changed the row.
    static let casGate = "EXISTS (SELECT 1 FROM j)"

    /// Applies `event` to job `id` as one statement (see above); `also` are the transition's
    /// other writes, gated. Only for events without dependency effects (heartbeats, results).
    ///
    /// - Parameter durable: the pool (``transaction(durable:_:)``).
    func applyAtomically(_ event: LifecycleEvent, job id: Int64, durable: Bool, now t: Double,
                         extra: [(column: String, value: SQLValue)] = [], closeExtra: [(column: String, value: SQLValue)] = [],
                         also: (Transition) -> [GatedStatement] = { _ in [] }) async throws -> Transition {
        try await (durable ? client : fastClient).withConnection { connection in
            let tx = PostgresTx(connection: connection, logger: logger)
            for _ in 0..<20 {
                guard let row = try await tx.rows(ReadJob(args: [.integer(id)])).first.map(Self.lifecycleRow) else {
                    throw StoreError.jobNotFound(id)
                }
                let before = JobLifecycle(row: row)
                let tr: Transition
                do throws(LifecycleError) { tr = try before.applying(event, at: t, timing: timing) } catch { throw StoreError(error, job: id) }
                if tr.repeated { return tr }
                let changes = JobLifecycle.changes(from: before, to: tr.after) + extra + [("updated_at", .real(t))]
                let (cas, casArgs) = Self.unchanged(row)
                var parts = [SQLStatement("UPDATE jobs SET " + changes.map { $0.column + " = ?" }.joined(separator: ", ")
                                          + " WHERE id = ? AND " + cas + " RETURNING id",
                                          changes.map(\.value) + [.integer(id)] + casArgs)]
                parts += Self.attemptCloses(tr, job: id, now: t, closeExtra: closeExtra).map { $0.gated(Self.casGate) }
                parts += also(tr).map { $0.gated(Self.casGate) }
                let statement = SQLStatement("WITH j AS (\(parts[0].sql))"
                                             + parts.dropFirst().enumerated().map { ",\n     s\($0.offset) AS (\($0.element.sql))" }.joined()
                                             + "\nSELECT count(*) AS n FROM j", parts.flatMap(\.args))
                if try await tx.rows(statement.sql, statement.args).first?.get("n", as: Int64.self) == 1 { return tr }
            }
            throw PostgresStoreError.contended(job: id)
        }
    }

    /// The attempt updates a transition's effects ask for (setting `closeExtra` too).
    static func attemptCloses(_ tr: Transition, job id: Int64, now t: Double,
                              closeExtra: [(column: String, value: SQLValue)]) -> [GatedStatement] {
        tr.effects.compactMap { effect in
            guard case .closeAttempt(let n, let outcome, let message) = effect else { return nil }
            let set: [(column: String, value: SQLValue)] = [("ended_at", .real(t)), ("outcome", .text(outcome.rawValue)),
                                                           ("error", message.map(SQLValue.text) ?? .null)] + closeExtra
            return GatedStatement("UPDATE attempts SET " + set.map { $0.column + " = ?" }.joined(separator: ", ")
                                  + " WHERE job_id = ? AND attempt = ? AND {gate}", set.map(\.value) + [.integer(id), .integer(Int64(n))])
        }
    }

    /// Every lifecycle column equal to `row`'s (NULLs equal to NULLs), for a `WHERE`.
    static func unchanged(_ r: JobLifecycle.Row) -> (String, [SQLValue]) {
        func text(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
        func real(_ d: Double?) -> SQLValue { d.map(SQLValue.real) ?? .null }
        let columns: [(String, SQLValue)] = [
            ("state = ?::text", .text(r.state)), ("attempts = ?::bigint", .integer(Int64(r.attempts))),
            ("error_count = ?::bigint", .integer(Int64(r.errorCount))), ("lost_count = ?::bigint", .integer(Int64(r.lostCount))),
            ("claim_token IS NOT DISTINCT FROM ?::text", text(r.claimToken)),
            ("leased_at IS NOT DISTINCT FROM ?::double precision", real(r.leasedAt)),
            ("lease_expires_at IS NOT DISTINCT FROM ?::double precision", real(r.leaseExpiresAt)),
            ("not_before IS NOT DISTINCT FROM ?::double precision", real(r.notBefore)),
            ("cancel_requested = ?::bigint", .integer(r.cancelRequested ? 1 : 0)),
            ("error IS NOT DISTINCT FROM ?::text", text(r.error)),
        ]
        return (columns.map(\.0).joined(separator: " AND "), columns.map(\.1))
    }

    /// A row of ``JobLifecycle/selectList``.
    static func lifecycleRow(_ r: PostgresRandomAccessRow) throws -> JobLifecycle.Row {
        .init(state: try r.get("state"), attempts: try r.get("attempts"), errorCount: try r.get("error_count"),
              lostCount: try r.get("lost_count"), claimToken: try r.get("claim_token"), leasedAt: try r.get("leased_at"),
              leaseExpiresAt: try r.get("lease_expires_at"), notBefore: try r.get("not_before"),
              cancelRequested: try r.get("cancel_requested", as: Int.self) != 0, error: try r.get("error"),
              maxErrorRetries: try r.get("max_error_retries"), maxLostRetries: try r.get("max_lost_retries"),
              timeoutSeconds: try r.get("timeout_seconds"))
    }
}

/// A write that may run only if a condition holds: its SQL has `{gate}` where that condition
/// goes (``PostgresJobStore/casGate`` in one statement, `TRUE` in a transaction).
struct GatedStatement {
    let sql: String
    let args: [SQLValue]
    init(_ sql: String, _ args: [SQLValue]) { self.sql = sql; self.args = args }

    func gated(_ condition: String) -> SQLStatement {
        SQLStatement(sql.replacingOccurrences(of: "{gate}", with: condition), args)
    }
}

/// The job's lifecycle columns, unlocked (``PostgresJobStore/applyAtomically``).
struct ReadJob: StorePreparedStatement {
    static let text = "SELECT \(JobLifecycle.selectList) FROM jobs WHERE id = ?"
    static let sql = PostgresSQL.numbered(text)
    static let bindingDataTypes: [PostgresDataType] = [.int8]
    let args: [SQLValue]
}
