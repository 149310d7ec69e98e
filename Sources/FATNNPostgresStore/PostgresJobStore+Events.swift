import FATNNCoordinator
import FATNNJobs
import PostgresNIO

/// The rulebook applied to stored rows: load a job's lifecycle with its row locked, apply an
/// event (``JobLifecycle/applying(_:at:timing:)``), write back the columns that changed and
/// close the attempt the transition closes, in the caller's transaction. The same steps as the
/// SQLite store's, over the same columns (``JobLifecycle/selectList``).
extension PostgresJobStore {
    /// The job's lifecycle, its row locked until the transaction ends (nil: no such job).
    func load(_ tx: PostgresTx, _ id: Int64, lock: Bool = true) async throws -> JobLifecycle? {
        let rows = lock ? try await tx.rows(LockJob(args: [.integer(id)]))
                        : try await tx.rows("SELECT \(JobLifecycle.selectList) FROM jobs WHERE id = ?", [id])
        guard let r = rows.first else { return nil }
        return try Self.lifecycle(r)
    }

    /// The lifecycle of a row of ``JobLifecycle/selectList``.
    static func lifecycle(_ r: PostgresRandomAccessRow) throws -> JobLifecycle {
        JobLifecycle(row: .init(
            state: try r.get("state"), attempts: try r.get("attempts"), errorCount: try r.get("error_count"),
            lostCount: try r.get("lost_count"), claimToken: try r.get("claim_token"), leasedAt: try r.get("leased_at"),
            leaseExpiresAt: try r.get("lease_expires_at"), notBefore: try r.get("not_before"),
            cancelRequested: try r.get("cancel_requested", as: Int.self) != 0, error: try r.get("error"),
            maxErrorRetries: try r.get("max_error_retries"), maxLostRetries: try r.get("max_lost_retries"),
            timeoutSeconds: try r.get("timeout_seconds")))
    }

    /// Applies `event` to job `id`: writes the new state (and `extra` columns), closes the
    /// attempt the transition closes (setting `closeExtra` columns too), and runs the
    /// statements `also` returns for the transition, all as one statement (``combined(_:)``).
    /// The dependency effects are the caller's (``Transition/needsDependencyCheck``, then
    /// ``failOrphans(_:now:)`` once).
    func apply(_ event: LifecycleEvent, job id: Int64, _ tx: PostgresTx, now t: Double,
               extra: [(column: String, value: SQLValue)] = [], closeExtra: [(column: String, value: SQLValue)] = [],
               also: (Transition) -> [SQLStatement] = { _ in [] }) async throws -> Transition {
        guard let before = try await load(tx, id) else { throw StoreError.jobNotFound(id) }
        let tr: Transition
        do { tr = try before.applying(event, at: t, timing: timing) } catch { throw StoreError(error, job: id) }
        if tr.repeated { return tr }
        let changes = JobLifecycle.changes(from: before, to: tr.after) + extra + [("updated_at", .real(t))]
        var statements = [SQLStatement("UPDATE jobs SET " + changes.map { $0.column + " = ?" }.joined(separator: ", ") + " WHERE id = ?",
                                       changes.map(\.value) + [.integer(id)])]
        for effect in tr.effects {
            if case .closeAttempt(let n, let outcome, let message) = effect {
                let set: [(column: String, value: SQLValue)] = [("ended_at", .real(t)), ("outcome", .text(outcome.rawValue)),
                                                               ("error", message.map(SQLValue.text) ?? .null)] + closeExtra
                statements.append(SQLStatement("UPDATE attempts SET " + set.map { $0.column + " = ?" }.joined(separator: ", ")
                                               + " WHERE job_id = ? AND attempt = ?", set.map(\.value) + [.integer(id), .integer(Int64(n))]))
            }
            // openAttempt comes only from a claim, which is one statement (claim); the
            // dependency effects are the caller's.
        }
        statements += also(tr)
        try await tx.execute(combined(statements))
        return tr
    }

    /// Data-modifying statements as one: all but the last as `WITH` queries, which PostgreSQL
    /// runs whether or not they are referenced, on the same snapshot (so no two may change the
    /// same row, and none sees another's changes). One round trip instead of one each.
    func combined(_ statements: [SQLStatement]) -> SQLStatement {
        guard statements.count > 1, let last = statements.last else { return statements.first ?? SQLStatement("SELECT 1", []) }
        let with = statements.dropLast().enumerated().map { "s\($0.offset) AS (\($0.element.sql))" }.joined(separator: ",\n     ")
        return SQLStatement("WITH " + with + "\n" + last.sql, statements.flatMap(\.args))
    }

    /// ``LifecycleEvent/parentEnded(_:_:)`` for every queued job whose parent ended without
    /// success, repeatedly down chains of stages (the SQLite store's statement).
    func failOrphans(_ tx: PostgresTx, now t: Double) async throws {
        let ended = JobLifecycle.sqlList(JobLifecycle.unsuccessfulEnds), parent = JobsSQL.parentJob("jobs")
        while try await !tx.rows("""
            UPDATE jobs SET state = '\(JobState.failed.rawValue)', not_before = NULL, updated_at = ?,
                error = \(JobLifecycle.parentEndedMessageSQL(parent: "(\(parent))::text", state: "(SELECT p.state FROM jobs p WHERE p.id = \(parent))"))
            WHERE state = '\(JobState.queued.rawValue)' AND parent_hash IN (SELECT config_hash FROM jobs WHERE state IN \(ended))
              AND (SELECT p.state FROM jobs p WHERE p.id = \(parent)) IN \(ended)
            RETURNING id
            """, [t]).isEmpty {}
    }

    /// Re-queues or ends every overdue lease by the lifecycle's budgets; each job is re-checked
    /// under its row lock, so coordinators reaping at the same time apply each event once.
    func reap(_ tx: PostgresTx, now t: Double) async throws -> Int {
        let ids = try await tx.rows("SELECT id FROM jobs j WHERE \(JobLifecycle.overdueSQL("j")) ORDER BY id", [t, t])
            .map { try $0.get("id", as: Int64.self) }
        var dependents = false, reaped = 0
        for id in ids {
            guard let event = try await load(tx, id)?.overdueEvent(at: t) else { continue }
            dependents = try await apply(event, job: id, tx, now: t).needsDependencyCheck || dependents
            reaped += 1
        }
        if dependents { try await failOrphans(tx, now: t) }
        return reaped
    }

    func sweepId(_ tx: PostgresTx, _ name: String) async throws -> Int64 {
        guard let r = try await tx.row("SELECT id FROM sweeps WHERE name = ?", [name]) else { throw StoreError.sweepNotFound(name) }
        return try r.get("id")
    }
}

/// The job's lifecycle columns, its row locked (``PostgresJobStore/load(_:_:lock:)``).
struct LockJob: StorePreparedStatement {
    static let text = "SELECT \(JobLifecycle.selectList) FROM jobs WHERE id = ? FOR UPDATE"
    static let bindingDataTypes: [PostgresDataType] = [.int8]
    static let sql = PostgresSQL.numbered(text)
    let args: [SQLValue]
}

extension PostgresJobStore {
    /// Gives every running job at least `grace` seconds of lease from now (a coordinator
    /// starting: workers that could not reach it re-attach with their next heartbeat). With
    /// several coordinators on one database, any one starting extends every lease.
    @discardableResult
    public func extendLeases(grace: Double) async throws -> Int {
        let t = now()
        return try await transaction { tx in
            try await tx.rows("UPDATE jobs SET lease_expires_at = GREATEST(lease_expires_at, ?) WHERE state = 'leased' RETURNING id",
                              [t + grace]).count
        }
    }
}
