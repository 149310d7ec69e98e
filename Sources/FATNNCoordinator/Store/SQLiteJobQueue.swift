import FATNNJobs
import Foundation
import GRDB

/// ``JobStore`` as the HTTP layer's ``JobQueueStore``: every write group-committed by the
/// store's ``WriteBatcher`` (so concurrent workers share fsyncs), every read on GRDB's reader
/// pool (the same transaction bodies the store's synchronous methods run), none on the caller's
/// thread.
public struct SQLiteJobQueue: JobQueueStore {
    let store: JobStore

    public func submit(_ sweep: Sweep, document: String, replicate: Int) async throws -> API.SubmitResponse {
        try await store.batcher.write(durable: true, store.submitOp(sweep, document: document, replicate: replicate))
    }
    public func claimJSON(worker: String, host: String, identity: String?) async throws -> EncodedClaim {
        let raw = try await store.batcher.write(durable: false, store.rawClaimOp(worker: worker, host: host, identity: identity))
        return EncodedClaim(body: raw.jsonBody(), job: raw.job.map { ($0.id, $0.attempt) })
    }
    public func heartbeat(job: Int64, token: String, epoch: EpochReport?) async throws -> API.HeartbeatReply {
        try await store.batcher.write(durable: false, store.heartbeatOp(job: job, token: token, epoch: epoch))
    }
    public func complete(job: Int64, token: String, result: JobResult, identity: String?) async throws {
        try await store.batcher.write(durable: true, try store.completeOp(job: job, token: token, result: result, identity: identity))
    }
    public func fail(job: Int64, token: String, error: String) async throws {
        try await store.batcher.write(durable: true, store.failOp(job: job, token: token, error: error))
    }
    public func release(job: Int64, token: String) async throws {
        try await store.batcher.write(durable: true, store.releaseOp(job: job, token: token))
    }
    public func reap() async throws -> Int {
        try await store.batcher.write(durable: true, store.reapOp())
    }
    public func cancel(jobs: [Int64], sweep: String?) async throws -> [Int64] {
        try await store.batcher.write(durable: true, store.cancelOp(jobs: jobs, sweep: sweep))
    }
    public func retry(states: [JobState], sweep: String?) async throws -> [Int64] {
        try await store.batcher.write(durable: true, try store.retryOp(states: states, sweep: sweep))
    }
    public func invalidate(jobs: [Int64], reason: String) async throws {
        try await store.batcher.write(durable: true, store.invalidateOp(jobs: jobs, reason: reason))
    }
    public func setPaused(sweep: String, _ paused: Bool) async throws {
        try await store.batcher.write(durable: true, store.pauseOp(sweep: sweep, paused))
    }
    public func identity(sha256: String) async throws -> Identity? {
        try await store.pool.read { try JobStore.identity($0, sha256: sha256) }
    }
    public func createToken(name: String, role: API.TokenRole) async throws -> String {
        try await store.batcher.write(durable: true, store.createTokenOp(name: name, role: role))
    }
    public func tokens() async throws -> [API.TokenInfo] { try await store.pool.read(JobStore.tokens) }
    public func revokeToken(name: String) async throws -> [Int64] {
        try await store.batcher.write(durable: true, store.revokeTokenOp(name: name))
    }
    public func artifactClaim(job: Int64, token: String) async throws -> JobConfig {
        try await store.pool.read { try JobStore.artifactClaim($0, job: job, token: token) }
    }
    public func storeArtifact(job: Int64, token: String, data: Data, sha256: String?) async throws {
        try await store.batcher.write(durable: true, store.artifactOp(job: job, token: token, data: data, sha256: sha256))
    }
    public func deleteArtifact(configHash: String) async throws -> Bool {
        try await store.batcher.write(durable: true) { try JobStore.deleteArtifact($0, configHash: configHash) }
    }
    public func artifact(configHash: String, replica: Int) async throws -> (data: Data, sha256: String)? {
        try await store.pool.read { try JobStore.artifact($0, configHash: configHash, replica: replica) }
    }
    public func counts() async throws -> [String: Int] { try await store.pool.read(JobStore.counts) }
    public func leaderboard(limit: Int) async throws -> [LeaderboardRow] {
        try await store.pool.read { try JobStore.rows($0, where: "1", arguments: [], limit: limit) }
    }
    public func query(_ q: LeaderboardQuery) async throws -> QueryTable {
        let compiled = try QuerySQL.compile(q)
        return try await store.pool.read { try JobStore.run(compiled, $0) }
    }
    public func compare(_ q: CompareQuery) async throws -> PairedComparison {
        let compiled = try CompiledComparison(q)
        let samples = try await store.pool.read { try JobStore.comparisonSamples(compiled, $0) }
        return try JobStore.compare(compiled, samples)
    }
    public func export(sweep: String?) async throws -> [API.ExportRecord] {
        try await store.pool.read { try JobStore.export($0, sweep: sweep) }
    }
    public func progress() async throws -> API.ProgressReport {
        let t = store.now()
        return try await store.pool.read { try JobStore.progress($0, now: t) }
    }
    public func jobDetail(_ id: Int64) async throws -> API.JobDetail? { try await store.pool.read { try JobStore.jobDetail($0, id) } }
    public func curves(_ selection: JobCurves.Selection, limit: Int) async throws -> JobCurves {
        try await store.pool.read { try JobStore.curves($0, selection, limit: limit) }
    }
    public func metrics() async throws -> StoreMetrics { try await store.pool.read(JobStore.metrics) }
    public func lifecycle(of job: Int64) async throws -> StoredLifecycle? {
        try await store.pool.read { db in
            guard let l = try store.load(db, job) else { return nil }
            let attempts = try Row.fetchAll(db, sql: "SELECT outcome, error FROM attempts WHERE job_id = ? ORDER BY attempt", arguments: [job])
                .map { StoredLifecycle.Attempt(outcome: $0["outcome"], error: $0["error"]) }
            return StoredLifecycle(lifecycle: l, attempts: attempts)
        }
    }
}
