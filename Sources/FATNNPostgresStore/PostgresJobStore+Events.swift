import FATNNCoordinator
import FATNNJobs
import PostgresNIO

/// The rulebook applied to stored rows: load a job's lifecycle with its row locked, apply an
/// event (``JobLifecycle/applying(_:at:timing:)``), write back the columns that changed and
/// close the attempt the transition closes, in the caller's transaction. The same steps as the
/// SQLite store's, over the same columns (``JobLifecycle/selectList``).
extension PostgresJobStore {
    /// The job's lifecycle as committed (no lock; nil: no such job).
    func load(_ tx: PostgresTx, _ id: Int64) async throws -> JobLifecycle? {
        try await tx.row("SELECT \(JobLifecycle.selectList) FROM jobs WHERE id = ?", [id]).map(Self.lifecycle)
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

    /// Applies `event` to job `id` in the caller's transaction: a batch of one
    /// (``applyBatch(_:_:)``: row locked, rules applied, changes written, the attempt it closes
    /// closed). The dependency effects are the caller's (``Transition/needsDependencyCheck``,
    /// then ``failOrphans(_:now:)`` once).
    func apply(_ event: LifecycleEvent, job id: Int64, _ tx: PostgresTx, now t: Double) async throws -> Transition {
        try await applyBatch([BatchedEvent(job: id, event: event, now: t)], tx)[0].get()
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
        let locked = try await lockedLifecycles(ids, tx)
        let events = ids.compactMap { id in locked[id]?.overdueEvent(at: t).map { BatchedEvent(job: id, event: $0, now: t) } }
        var dependents = false
        for result in try await apply(events, to: locked, tx) { dependents = try result.get().needsDependencyCheck || dependents }
        if dependents { try await failOrphans(tx, now: t) }
        return events.count
    }

    func sweepId(_ tx: PostgresTx, _ name: String) async throws -> Int64 {
        guard let r = try await tx.row("SELECT id FROM sweeps WHERE name = ?", [name]) else { throw StoreError.sweepNotFound(name) }
        return try r.get("id")
    }
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
