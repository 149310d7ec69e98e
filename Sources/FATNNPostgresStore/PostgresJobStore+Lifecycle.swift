import FATNNCoordinator
import FATNNJobs
import Foundation
import PostgresNIO

/// The lifecycle operations of ``JobLifecycleStore``, each one transaction. Group summaries for
/// the leaderboard are not kept yet (the reads are not built on PostgreSQL).
extension PostgresJobStore: JobLifecycleStore {
    public func claimJSON(worker: String, host: String, identity: String?) async throws -> EncodedClaim {
        let raw = try await claim(worker: worker, host: host, identity: identity)
        return EncodedClaim(body: raw.jsonBody(), job: raw.job.map { ($0.id, $0.attempt) })
    }

    /// Through the claim batcher (``GroupWriter``): claims arriving together are one statement
    /// (``claimBatch(_:)``).
    public func claim(worker: String, host: String, identity: String? = nil) async throws -> RawClaim {
        try await claimBatches.submit(ClaimRequest(token: JobStore.newToken(), worker: worker, host: host, identity: identity)) { [self] in
            await claimBatch($0)
        }
    }

    /// Reaps overdue leases (at most once a second, in a transaction of its own), then picks and
    /// leases the best claimable jobs for `requests`, one each as far as they go, and opens their
    /// attempts in one statement (``ClaimJobs``): `FOR UPDATE SKIP LOCKED` makes
    /// concurrent claims of other coordinators take different jobs. Requests left without a job
    /// learn whether jobs are pending (one more read).
    func claimBatch(_ requests: [ClaimRequest]) async -> [Result<RawClaim, any Error>] {
        let t = now(), lease = timing.leaseSeconds
        do {
            if claimReaps.due(at: t) { _ = try await transaction(durable: false) { tx in try await reap(tx, now: t) } }
            let rows = try await statement(durable: false, ClaimJobs(now: t, lease: lease, requests: requests))
            var byRequest: [Int: RawClaim] = [:]
            for row in rows {
                let n = Int(try row.get("n", as: Int64.self))
                byRequest[n] = RawClaim(job: .init(id: try row.get("id"), claimToken: requests[n - 1].token, config: try row.get("config"),
                                                   leaseSeconds: lease, attempt: try row.get("attempts"), replica: try row.get("replica")),
                                        pending: true)
            }
            var pending: Bool?
            var out: [Result<RawClaim, any Error>] = []
            for n in 1...requests.count {
                if let claim = byRequest[n] { out.append(.success(claim)); continue }
                if pending == nil { pending = try await read { tx in try await tx.row(JobsSQL.pending)?.get("pending", as: Bool.self) } ?? false }
                out.append(.success(RawClaim(job: nil, pending: pending ?? false)))
            }
            return out
        } catch {
            return requests.map { _ in .failure(error) }
        }
    }

    /// Through the heartbeat batcher (``GroupWriter``): heartbeats arriving together share one
    /// transaction on the fast pool.
    public func heartbeat(job id: Int64, token: String, epoch: EpochReport?) async throws -> API.HeartbeatReply {
        let t = now()
        var e = BatchedEvent(job: id, event: .heartbeat(token: token), now: t)
        e.extra = [("last_heartbeat_at", .real(t))]
        if let epoch {
            e.extra += [("last_epoch", epoch.epoch.sqlValue), ("last_loss", epoch.trainLoss.sqlValue),
                        ("last_accuracy", (epoch.validationAccuracy ?? epoch.trainAccuracy).sqlValue)]
            e.epochs = [epoch]
            if let candidate = try await pruningCandidate(job: id, epoch: epoch) {
                let tr = try await heartbeatUnderPruning(e, token: token, epoch: epoch, candidate: candidate)
                return API.HeartbeatReply(cancel: tr.after.cancelRequested, prune: tr.after.state == .pruned ? tr.after.error : nil)
            }
        }
        let tr = try await heartbeatBatches.submit(e) { [self] in await writeBatch($0, durable: false) }
        return API.HeartbeatReply(cancel: tr.after.cancelRequested)
    }

    /// Through the result batcher (``GroupWriter``): results arriving together share one
    /// durable transaction that ends each job, closes its attempt (recording the reporting
    /// identity), stores the result and its epochs, and keeps only the accepted attempt's models,
    /// marked accepted.
    public func complete(job id: Int64, token: String, result: JobResult, identity: String?) async throws {
        let t = now()
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        var e = BatchedEvent(job: id, event: .succeed(token: token), now: t)
        e.closeExtra = [("result_identity", identity.sqlValue)]
        e.epochs = result.epochs
        e.result = [.integer(id), result.testAccuracy.sqlValue, result.testLoss.sqlValue, result.validationAccuracy.sqlValue,
                    result.trainLoss.sqlValue, result.trainSeconds.sqlValue, result.imagesPerSecond.sqlValue,
                    result.host.sqlValue, result.threads.sqlValue, .text(json), .real(t)]
        _ = try await resultBatches.submit(e) { [self] in await writeBatch($0, durable: true) }
    }

    public func fail(job id: Int64, token: String, error message: String) async throws {
        try await event(.jobError(token: token, message: String(message.prefix(4000))), job: id)
    }

    public func release(job id: Int64, token: String) async throws {
        try await event(.release(token: token), job: id)
    }

    /// One event on one job, then the dependents it may have failed.
    func event(_ e: LifecycleEvent, job id: Int64) async throws {
        let t = now()
        try await transaction { tx in
            if try await apply(e, job: id, tx, now: t).needsDependencyCheck { try await failOrphans(tx, now: t) }
        }
    }

    public func reap() async throws -> Int {
        let t = now()
        return try await transaction { tx in try await reap(tx, now: t) }
    }

    public func cancel(jobs ids: [Int64], sweep: String?) async throws -> [Int64] {
        let t = now()
        return try await transaction { tx in
            var targets = ids
            for id in ids where try await tx.row("SELECT 1 AS x FROM jobs WHERE id = ?", [id]) == nil { throw StoreError.jobNotFound(id) }
            if let sweep {
                targets += try await tx.rows("SELECT id FROM jobs WHERE sweep_id = ? AND state IN ('queued', 'leased') ORDER BY id",
                                             [try await sweepId(tx, sweep)]).map { try $0.get("id", as: Int64.self) }
            }
            var done: [Int64] = [], dependents = false
            for id in targets {
                do {
                    let tr = try await apply(.cancel, job: id, tx, now: t)
                    if !tr.repeated { done.append(id) }
                    dependents = dependents || tr.needsDependencyCheck
                } catch StoreError.notAllowed where sweep != nil || ids.count > 1 {
                    continue
                }
            }
            if dependents { try await failOrphans(tx, now: t) }
            return done
        }
    }

    public func retry(states: [JobState], sweep: String?) async throws -> [Int64] {
        let t = now(), allowed = JobLifecycle.retryableStates
        if let bad = states.first(where: { !allowed.contains($0) }) {
            throw StoreError.invalid(SweepError(path: "state", "'\(bad.rawValue)' cannot be retried; allowed: \(allowed.map(\.rawValue).joined(separator: ", "))"))
        }
        return try await transaction { tx in
            var sql = "SELECT id FROM jobs WHERE state IN (\(states.map { _ in "?" }.joined(separator: ", ")))"
            var args: [any SQLBindable] = states.map(\.rawValue)
            if let sweep { sql += " AND sweep_id = ?"; args.append(try await sweepId(tx, sweep)) }
            let ids = try await tx.rows(sql + " ORDER BY id", args).map { try $0.get("id", as: Int64.self) }
            var dependents = false
            for id in ids { dependents = try await apply(.retry, job: id, tx, now: t).needsDependencyCheck || dependents }
            if dependents { try await failOrphans(tx, now: t) }
            return ids
        }
    }

    public func invalidate(jobs ids: [Int64], reason: String) async throws {
        let t = now(), note = String(reason.prefix(1000))
        try await transaction { tx in
            var dependents = false
            for id in ids {
                guard try await tx.row("SELECT 1 AS x FROM jobs WHERE id = ?", [id]) != nil else { throw StoreError.jobNotFound(id) }
                try await tx.execute("""
                    UPDATE attempts SET invalidated_at = ?, invalidated_result = (SELECT result FROM results WHERE job_id = ?),
                                        error = 'result invalidated: ' || ?
                    WHERE job_id = ? AND attempt = (SELECT attempts FROM jobs WHERE id = ?)
                    """, [t, id, note, id, id])
                dependents = try await apply(.invalidate, job: id, tx, now: t).needsDependencyCheck || dependents
                for table in ["results", "job_artifacts", "epochs"] { try await tx.execute("DELETE FROM \(table) WHERE job_id = ?", [id]) }
            }
            if dependents { try await failOrphans(tx, now: t) }
        }
    }

    public func setPaused(sweep name: String, _ paused: Bool) async throws {
        try await transaction { tx in try await tx.execute("UPDATE sweeps SET paused = ? WHERE id = ?", [paused, try await sweepId(tx, name)]) }
    }

    public func lifecycle(of job: Int64) async throws -> StoredLifecycle? {
        try await read { tx in
            guard let l = try await load(tx, job) else { return nil }
            let attempts = try await tx.rows("SELECT outcome, error FROM attempts WHERE job_id = ? ORDER BY attempt", [job])
                .map { StoredLifecycle.Attempt(outcome: try $0.get("outcome"), error: try $0.get("error")) }
            return StoredLifecycle(lifecycle: l, attempts: attempts)
        }
    }
}

/// One worker's claim waiting for its batch (``PostgresJobStore/claimBatch(_:)``).
struct ClaimRequest: Sendable {
    let token: String
    let worker: String
    let host: String
    let identity: String?
}

/// Claims as one prepared statement (planned once per connection; its planning costs about
/// 1 ms): the best claimable jobs, as many as there are requests (``JobsSQL/claimPick``, locked,
/// skipping rows others hold), numbered in order, each leased to the request of its number
/// (``JobLifecycle/claimSet(token:)`` with that request's token; the requests come as arrays),
/// and an attempt row for each.
struct ClaimJobs: PostgresPreparedStatement {
    static let sql = PostgresSQL.numbered("""
        WITH picked AS (\(JobsSQL.claimPick(columns: "j.id, j.priority", limit: "?", lock: "FOR UPDATE OF j SKIP LOCKED"))),
             ranked AS (SELECT id, row_number() OVER (ORDER BY priority DESC, id) AS n FROM picked),
             req AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS r(token, worker, host, identity, n)),
             c AS (UPDATE jobs SET \(JobLifecycle.claimSet(token: "req.token")), \(JobsSQL.claimProgressSQL(worker: "req.worker", host: "req.host"))
                   FROM ranked JOIN req ON req.n = ranked.n WHERE jobs.id = ranked.id
                   RETURNING jobs.id, jobs.config, jobs.attempts, jobs.replica, req.n, req.worker, req.host, req.identity),
             a AS (INSERT INTO attempts (job_id, attempt, worker, host, started_at, outcome, identity)
                   SELECT id, attempts, worker, host, ?::double precision, 'running', NULLIF(identity, '') FROM c)
        SELECT id, config, attempts, replica, n FROM c
        """)
    /// now (claimable), how many, the requests' tokens, workers, hosts and identities ('' for
    /// none), now, now + lease, now (heartbeat), now (updated), now (attempt start).
    static let bindingDataTypes: [PostgresDataType] = [.float8, .int8, .textArray, .textArray, .textArray, .textArray,
                                                       .float8, .float8, .float8, .float8, .float8]
    typealias Row = PostgresRandomAccessRow

    let now: Double
    let lease: Double
    let requests: [ClaimRequest]

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 11)
        b.append(now)
        b.append(Int64(requests.count))
        b.append(requests.map(\.token))
        b.append(requests.map(\.worker))
        b.append(requests.map(\.host))
        b.append(requests.map { $0.identity ?? "" })
        for v in [now, now + lease, now, now, now] { b.append(v) }
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRandomAccessRow { row.makeRandomAccess() }
}
