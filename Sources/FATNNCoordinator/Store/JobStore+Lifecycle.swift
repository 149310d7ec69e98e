import FATNNJobs
import Foundation
import GRDB

/// Lifecycle events applied to stored jobs: load, ``JobLifecycle/applying(_:at:timing:)``, save,
/// and the attempt row closed, all in one transaction.
///
/// Each operation is built once as a transaction body (`…Op`, with the time taken when it is
/// built) and run either directly (these synchronous methods) or group-committed by
/// ``SQLiteJobQueue`` for the HTTP layer.
extension JobStore {
    /// Extends the lease of a claimed job and records an epoch's progress.
    ///
    /// - Returns: whether a user asked to cancel the job (the worker should stop and release it).
    /// - Throws: ``StoreError/staleClaim(_:)`` when `token` is not the job's current claim.
    @discardableResult
    public func heartbeat(job id: Int64, token: String, epoch: EpochReport?) throws -> API.HeartbeatReply {
        try write(durable: false, heartbeatOp(job: id, token: token, epoch: epoch))
    }

    /// Accepts the result of a claimed job, exactly once. The same token again after success is
    /// a no-op, so a worker may resend a result whose acknowledgement it lost.
    ///
    /// - Throws: ``StoreError/staleClaim(_:)`` when `token` is not the job's current claim.
    public func complete(job id: Int64, token: String, result: JobResult, identity: String? = nil) throws {
        try write(try completeOp(job: id, token: token, result: result, identity: identity))
    }

    /// Records a job error reported by the claiming worker: the job is re-queued (after a
    /// backoff) while its error budget lasts, else it fails.
    public func fail(job id: Int64, token: String, error message: String) throws {
        try write(failOp(job: id, token: token, error: message))
    }

    /// Gives a claimed job back to the queue unrun, not charged to any budget (its host cannot
    /// run it, or its worker is shutting down). A job whose cancel was requested ends cancelled.
    public func release(job id: Int64, token: String) throws {
        try write(releaseOp(job: id, token: token))
    }

    /// Cancels jobs: queued ones at once; running ones are told on their next heartbeat and end
    /// cancelled when their worker releases them or their lease runs out. Ended jobs are skipped
    /// when several jobs or a sweep are given.
    ///
    /// - Returns: the ids cancelled or asked to cancel.
    public func cancel(jobs ids: [Int64] = [], sweep: String? = nil) throws -> [Int64] {
        try write(cancelOp(jobs: ids, sweep: sweep))
    }

    /// Re-queues ended jobs in the given states with fresh retry budgets (a user's `retry`).
    ///
    /// - Returns: the ids re-queued.
    public func retry(states: [JobState], sweep: String? = nil) throws -> [Int64] {
        try write(try retryOp(states: states, sweep: sweep))
    }

    /// Stops (or resumes) handing out a sweep's queued jobs; running jobs carry on.
    public func setPaused(sweep name: String, _ paused: Bool) throws {
        try write(pauseOp(sweep: name, paused))
    }

    /// Re-queues or ends every job whose lease expired (its worker stopped sending heartbeats)
    /// or that ran past its timeout, by the lifecycle's budgets.
    ///
    /// - Returns: how many jobs were reaped.
    @discardableResult
    public func reap() throws -> Int { try write(reapOp()) }

    /// Gives every running job at least `grace` seconds of lease from now: called when a
    /// coordinator starts, so workers that could not reach it while it was down re-attach with
    /// their next heartbeat instead of losing their jobs.
    @discardableResult
    public func extendLeases(grace: Double) throws -> Int {
        let t = now()
        return try write { db in
            try db.cachedStatement(sql: "UPDATE jobs SET lease_expires_at = max(lease_expires_at, ?) WHERE state = 'leased'").execute(arguments: [t + grace])
            return db.changesCount
        }
    }

    func heartbeatOp(job id: Int64, token: String, epoch: EpochReport?) -> @Sendable (Database) throws -> API.HeartbeatReply {
        let t = now()
        return { [self] db in
            var progress: [(column: String, value: (any DatabaseValueConvertible)?)] = [("last_heartbeat_at", t)]
            if let e = epoch {
                progress += [("last_epoch", e.epoch), ("last_loss", e.trainLoss), ("last_accuracy", e.validationAccuracy ?? e.trainAccuracy)]
            }
            // The sweep's early stopping decides on the epoch, in this transaction (a stale
            // token is refused by the prune as by the heartbeat).
            if let e = epoch, let reason = try pruneReason(db, job: id, epoch: e) {
                _ = try apply(.prune(token: token, reason: reason), job: id, db, now: t, extra: progress)
                try Self.record(db, job: id, epoch: e)
                // The dependency rule scans every ended job: only when this one has queued children.
                if try Bool.fetchOne(db.cachedStatement(sql: JobsSQL.hasQueuedChildren), arguments: [id]) == true { try failOrphans(db, now: t) }
                return API.HeartbeatReply(cancel: false, prune: reason)
            }
            // A heartbeat always moves the lease, so apply writes the progress with it.
            let tr = try apply(.heartbeat(token: token), job: id, db, now: t, extra: progress)
            if let e = epoch { try Self.record(db, job: id, epoch: e) }
            return API.HeartbeatReply(cancel: tr.after.cancelRequested)
        }
    }

    func completeOp(job id: Int64, token: String, result: JobResult, identity: String? = nil) throws -> @Sendable (Database) throws -> Void {
        let t = now()
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        return { [self] db in
            let tr = try apply(.succeed(token: token), job: id, db, now: t)
            if tr.repeated { return }
            try db.cachedStatement(sql: """
                INSERT INTO results (job_id, test_accuracy, test_loss, val_accuracy, train_loss, train_seconds,
                                     images_per_second, host, threads, result, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [id, result.testAccuracy, result.testLoss, result.validationAccuracy, result.trainLoss,
                                 result.trainSeconds, result.imagesPerSecond, result.host, result.threads, json, t])
            for e in result.epochs { try Self.record(db, job: id, epoch: e) }
            try db.cachedStatement(sql: GroupSummary.upsert).execute(arguments: [id])
            try Self.acceptArtifact(db, job: id)
            try db.cachedStatement(sql: """
                UPDATE attempts SET result_identity = ? WHERE job_id = ? AND attempt = (SELECT attempts FROM jobs WHERE id = ?)
                """).execute(arguments: [identity, id, id])
        }
    }

    func failOp(job id: Int64, token: String, error message: String) -> @Sendable (Database) throws -> Void {
        let t = now()
        return { [self] db in
            let tr = try apply(.jobError(token: token, message: String(message.prefix(4000))), job: id, db, now: t)
            if tr.needsDependencyCheck { try failOrphans(db, now: t) }
        }
    }

    func releaseOp(job id: Int64, token: String) -> @Sendable (Database) throws -> Void {
        let t = now()
        return { [self] db in
            let tr = try apply(.release(token: token), job: id, db, now: t)
            if tr.needsDependencyCheck { try failOrphans(db, now: t) }
        }
    }

    func cancelOp(jobs ids: [Int64], sweep: String?) -> @Sendable (Database) throws -> [Int64] {
        let t = now()
        return { [self] db in
            var targets = ids
            for id in ids where try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [id]) == nil {
                throw StoreError.jobNotFound(id)
            }
            if let sweep { targets += try Int64.fetchAll(db, sql: "SELECT id FROM jobs WHERE sweep_id = ? AND state IN ('queued', 'leased')", arguments: [try sweepId(db, sweep)]) }
            var done: [Int64] = [], dependents = false
            for id in targets {
                do {
                    let tr = try apply(.cancel, job: id, db, now: t)
                    if !tr.repeated { done.append(id) }
                    dependents = dependents || tr.needsDependencyCheck
                } catch StoreError.notAllowed where sweep != nil || ids.count > 1 {
                    continue
                }
            }
            if dependents { try failOrphans(db, now: t) }
            return done
        }
    }

    func retryOp(states: [JobState], sweep: String?) throws -> @Sendable (Database) throws -> [Int64] {
        let t = now()
        let allowed = JobLifecycle.retryableStates
        if let bad = states.first(where: { !allowed.contains($0) }) {
            throw StoreError.invalid(SweepError(path: "state", "'\(bad.rawValue)' cannot be retried; allowed: \(allowed.map(\.rawValue).joined(separator: ", "))"))
        }
        return { [self] db in
            var sql = "SELECT id FROM jobs WHERE state IN (\(states.map { _ in "?" }.joined(separator: ", ")))"
            var args = StatementArguments(states.map(\.rawValue))
            if let sweep { sql += " AND sweep_id = ?"; args += [try sweepId(db, sweep)] }
            let ids = try Int64.fetchAll(db, sql: sql + " ORDER BY id", arguments: args)
            var dependents = false
            for id in ids { dependents = try apply(.retry, job: id, db, now: t).needsDependencyCheck || dependents }
            if dependents { try failOrphans(db, now: t) }
            return ids
        }
    }

    /// Refuses the results of succeeded jobs: each goes back to the queue with fresh budgets; its
    /// result moves to its attempt's history (`invalidated_result`), its model is deleted, and its
    /// group's summary is recomputed. Jobs that already fine-tuned from its model are left as
    /// they are.
    ///
    /// - Throws: ``StoreError/jobNotFound(_:)``, or ``StoreError/notAllowed(_:_:_:)`` unless succeeded.
    public func invalidate(jobs ids: [Int64], reason: String) throws { try write(invalidateOp(jobs: ids, reason: reason)) }

    func invalidateOp(jobs ids: [Int64], reason: String) -> @Sendable (Database) throws -> Void {
        let t = now(), note = String(reason.prefix(1000))
        return { [self] db in
            var groups = Set<String>(), dependents = false   /* summaries recomputed once per group, after every job */
            for id in ids {
                guard let group = try String.fetchOne(db, sql: "SELECT group_hash FROM jobs WHERE id = ?", arguments: [id]) else {
                    throw StoreError.jobNotFound(id)
                }
                try db.execute(sql: """
                    UPDATE attempts SET invalidated_at = ?, invalidated_result = (SELECT result FROM results WHERE job_id = ?),
                                        error = 'result invalidated: ' || ?
                    WHERE job_id = ? AND attempt = (SELECT attempts FROM jobs WHERE id = ?)
                    """, arguments: [t, id, note, id, id])
                dependents = try apply(.invalidate, job: id, db, now: t).needsDependencyCheck || dependents
                for table in ["results", "job_artifacts", "epochs"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE job_id = ?", arguments: [id])
                }
                groups.insert(group)
            }
            if dependents { try failOrphans(db, now: t) }
            for group in groups {
                try db.execute(sql: "DELETE FROM group_results WHERE group_hash = ?", arguments: [group])
                try db.execute(sql: "INSERT INTO group_results " + GroupSummary.select(where: "j.group_hash = ?"), arguments: [group])
            }
        }
    }

    func pauseOp(sweep name: String, _ paused: Bool) -> @Sendable (Database) throws -> Void {
        { [self] db in
            try db.cachedStatement(sql: "UPDATE sweeps SET paused = ? WHERE id = ?").execute(arguments: [paused, try sweepId(db, name)])
        }
    }

    func reapOp() -> @Sendable (Database) throws -> Int {
        let t = now()
        return { [self] db in try reap(db, now: t) }
    }

    @discardableResult
    func reap(_ db: Database, now t: Double) throws -> Int {
        let ids = try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM jobs j WHERE " + JobLifecycle.overdueSQL("j")),
                                     arguments: [t, t])
        var dependents = false
        for id in ids {
            guard let event = try load(db, id)?.overdueEvent(at: t) else { continue }
            dependents = try apply(event, job: id, db, now: t).needsDependencyCheck || dependents
        }
        if dependents { try failOrphans(db, now: t) }
        return ids.count
    }

    /// ``LifecycleEffect/openAttempt(_:)`` of a claim (``rawClaimOp(worker:host:identity:)``):
    /// attempt `n` of job `id` starts running now on `worker` at `host`.
    static func openAttempt(_ db: Database, job id: Int64, _ n: Int, worker: String, host: String, identity: String?, now t: Double) throws {
        try db.cachedStatement(sql: """
            INSERT INTO attempts (job_id, attempt, worker, host, started_at, outcome, identity) VALUES (?, ?, ?, ?, ?, 'running', ?)
            """).execute(arguments: [id, n, worker, host, t, identity])
    }

    /// Applies `event` to job `id` inside the caller's transaction: writes the new state and
    /// the attempt rows its effects open and close. The dependency effects are left to the caller
    /// (``Transition/needsDependencyCheck``), which runs ``failOrphans(_:now:)`` once after all its
    /// events.
    func apply(_ event: LifecycleEvent, job id: Int64, _ db: Database, now t: Double,
               extra: [(column: String, value: (any DatabaseValueConvertible)?)] = []) throws -> Transition {
        guard let before = try load(db, id) else { throw StoreError.jobNotFound(id) }
        let tr: Transition
        do { tr = try before.applying(event, at: t, timing: timing) } catch { throw StoreError(error, job: id) }
        if tr.repeated { return tr }
        try save(db, id, from: before, to: tr.after, now: t, extra: extra)
        for effect in tr.effects {
            switch effect {
            case .openAttempt:
                // Only `claim` opens an attempt, and claims are one statement (rawClaimOp), never applied here.
                preconditionFailure("claims go through rawClaimOp, which opens the attempt itself")
            case .closeAttempt(let n, let outcome, let message):
                try db.cachedStatement(sql: "UPDATE attempts SET ended_at = ?, outcome = ?, error = ? WHERE job_id = ? AND attempt = ?")
                    .execute(arguments: [t, outcome.rawValue, message, id, n])
            case .failDependents, .checkParent:
                break
            }
        }
        return tr
    }

    func load(_ db: Database, _ id: Int64) throws -> JobLifecycle? {
        guard let r = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(JobLifecycle.selectList) FROM jobs WHERE id = ?"),
                                       arguments: [id]) else { return nil }
        return JobLifecycle(row: .init(state: r["state"], attempts: r["attempts"], errorCount: r["error_count"], lostCount: r["lost_count"],
                                       claimToken: r["claim_token"], leasedAt: r["leased_at"], leaseExpiresAt: r["lease_expires_at"],
                                       notBefore: r["not_before"], cancelRequested: r["cancel_requested"], error: r["error"],
                                       maxErrorRetries: r["max_error_retries"], maxLostRetries: r["max_lost_retries"],
                                       timeoutSeconds: r["timeout_seconds"]))
    }

    /// Writes the lifecycle fields that changed from `before` to `after`
    /// (``JobLifecycle/changes(from:to:)``), plus `extra` columns, in one UPDATE. Unchanged
    /// columns stay out of the SET list, so SQLite leaves the indexes on them alone (a heartbeat
    /// changes only the lease). One prepared statement per distinct set of columns.
    private func save(_ db: Database, _ id: Int64, from before: JobLifecycle, to after: JobLifecycle, now t: Double,
                      extra: [(column: String, value: (any DatabaseValueConvertible)?)] = []) throws {
        var columns: [String] = [], values: [(any DatabaseValueConvertible)?] = []
        for (c, v) in JobLifecycle.changes(from: before, to: after) {
            columns.append(c)
            switch v {
            case .null: values.append(nil)
            case .integer(let i): values.append(i)
            case .real(let d): values.append(d)
            case .text(let s): values.append(s)
            case .blob(let b): values.append(b)
            }
        }
        for (c, v) in extra { columns.append(c); values.append(v) }
        columns.append("updated_at"); values.append(t)
        values.append(id)
        let sql = "UPDATE jobs SET " + columns.map { $0 + " = ?" }.joined(separator: ", ") + " WHERE id = ?"
        try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(values))
    }

    /// ``LifecycleEffect/failDependents`` and ``LifecycleEffect/checkParent`` in bulk:
    /// ``LifecycleEvent/parentEnded(_:_:)`` applied to every queued job whose parent ended without success (repeatedly, down chains of stages).
    /// A queued job has no open attempt and keeps its counters, so only the state and error change.
    func failOrphans(_ db: Database, now t: Double) throws {
        let ended = JobLifecycle.sqlList(JobLifecycle.unsuccessfulEnds), parent = Self.parentJob("jobs")
        repeat {
            try db.cachedStatement(sql: """
                UPDATE jobs SET state = '\(JobState.failed.rawValue)', not_before = NULL, updated_at = ?,
                    error = \(JobLifecycle.parentEndedMessageSQL(parent: parent, state: "(SELECT p.state FROM jobs p WHERE p.id = \(parent))"))
                WHERE state = '\(JobState.queued.rawValue)' AND parent_hash IN (SELECT config_hash FROM jobs WHERE state IN \(ended))
                  AND (SELECT p.state FROM jobs p WHERE p.id = \(parent)) IN \(ended)
                """).execute(arguments: [t])
        } while db.changesCount > 0
    }

    func sweepId(_ db: Database, _ name: String) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM sweeps WHERE name = ?", arguments: [name]) else {
            throw StoreError.sweepNotFound(name)
        }
        return id
    }

    static func record(_ db: Database, job id: Int64, epoch e: EpochReport) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO epochs (job_id, epoch, train_loss, train_accuracy, val_accuracy, learning_rate, seconds)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, e.epoch, e.trainLoss, e.trainAccuracy, e.validationAccuracy, e.learningRate, e.seconds])
    }
}
