import FATNNJobs
import Foundation

/// Every operation the coordinator's HTTP layer needs from a job store: the lifecycle, named
/// tokens and the reads. A second backend (PostgreSQL, for labs that outgrow one coordinator)
/// implements the same parts; the lifecycle rules themselves are ``JobLifecycle``'s and are
/// shared by every backend. Every method is async: an implementation must not block its caller's
/// thread (the HTTP event loops), and answers a write only once it is committed.
public protocol JobQueueStore: JobLifecycleStore, JobTokenStore, JobReadStore, JobQueryStore {}

/// The job lifecycle of a store: submitting, claiming, reporting, reaping and the users'
/// commands, and the models jobs produce. ``lifecycle(of:)`` shows a job's lifecycle as stored,
/// which `LifecycleParityTests` compares with the rules on every backend.
public protocol JobLifecycleStore: Sendable {
    /// Stores a sweep's jobs (deduplicated by config hash unless `replicate` > 0).
    func submit(_ sweep: Sweep, document: String, replicate: Int) async throws -> API.SubmitResponse
    /// Leases the next claimable job to `worker` (recording the claiming token's `identity`), or
    /// says whether any is still pending, as the JSON body of its HTTP reply (a store that keeps
    /// configs as JSON text can send that text on).
    func claimJSON(worker: String, host: String, identity: String?) async throws -> EncodedClaim
    /// Extends a lease and records progress; the reply says whether to cancel.
    func heartbeat(job: Int64, token: String, epoch: EpochReport?) async throws -> API.HeartbeatReply
    /// Accepts a result exactly once.
    func complete(job: Int64, token: String, result: JobResult, identity: String?) async throws
    /// Records a job error (re-queued within budget, else failed).
    func fail(job: Int64, token: String, error: String) async throws
    /// Gives a job back unrun.
    func release(job: Int64, token: String) async throws
    /// Re-queues or ends overdue leases; returns how many.
    func reap() async throws -> Int
    /// Cancels jobs by id or a whole sweep's unfinished jobs.
    func cancel(jobs: [Int64], sweep: String?) async throws -> [Int64]
    /// Re-queues ended jobs in `states`.
    func retry(states: [JobState], sweep: String?) async throws -> [Int64]
    /// Refuses succeeded jobs' results: back to the queue, old results kept in the attempt history.
    func invalidate(jobs: [Int64], reason: String) async throws
    /// Pauses or resumes a sweep.
    func setPaused(sweep: String, _ paused: Bool) async throws
    /// The config of the job whose current claim is `token` (checked before an upload is read).
    func artifactClaim(job: Int64, token: String) async throws -> JobConfig
    /// Stores a job's trained model (`sha256`: its digest, when already computed).
    func storeArtifact(job: Int64, token: String, data: Data, sha256: String?) async throws
    /// Deletes the model stored for a config hash; whether there was one.
    func deleteArtifact(configHash: String) async throws -> Bool
    /// A stored model and its SHA-256.
    func artifact(configHash: String, replica: Int) async throws -> (data: Data, sha256: String)?
    /// A job's lifecycle and its attempts as stored (nil: no such job).
    func lifecycle(of job: Int64) async throws -> StoredLifecycle?
}

/// Named bearer tokens (worker identities).
public protocol JobTokenStore: Sendable {
    /// The identity of an unrevoked named token, by the token's SHA-256.
    func identity(sha256: String) async throws -> Identity?
    /// Creates a named token; returns its value.
    func createToken(name: String, role: API.TokenRole) async throws -> String
    /// Every named token.
    func tokens() async throws -> [API.TokenInfo]
    /// Revokes a named token; returns the jobs its claims held, given back.
    func revokeToken(name: String) async throws -> [Int64]
}

/// The query language's answers: leaderboard queries and paired comparisons.
public protocol JobQueryStore: Sendable {
    /// Answers a leaderboard query (filter, sort, columns, grouping over seeds).
    func query(_ q: LeaderboardQuery) async throws -> QueryTable
    /// Answers a paired comparison of one config key's values against a baseline value.
    func compare(_ q: CompareQuery) async throws -> PairedComparison
}

/// What the dashboard, `/metrics`, `status`, `job` and `export` read.
public protocol JobReadStore: Sendable {
    /// Jobs per state.
    func counts() async throws -> [String: Int]
    /// Every job with its config, attempts and result.
    func export(sweep: String?) async throws -> [API.ExportRecord]
    /// Jobs per state per sweep, and the running jobs.
    func progress() async throws -> API.ProgressReport
    /// The leaderboard rows.
    func leaderboard(limit: Int) async throws -> [LeaderboardRow]
    /// One job with its attempts and epochs.
    func jobDetail(_ id: Int64) async throws -> API.JobDetail?
    /// The training curves of a sweep's jobs or of one config's seeds, the first `limit` by id.
    func curves(_ selection: JobCurves.Selection, limit: Int) async throws -> JobCurves
    /// Counters for `/metrics`.
    func metrics() async throws -> StoreMetrics
}

/// Counters exported at `/metrics`.
public struct StoreMetrics: Sendable, Equatable {
    /// Jobs per state.
    public var jobs: [JobState: Int]
    /// Attempts per outcome (completions are `ok`; failures `error` and `timeout`; `lost` workers).
    public var attempts: [AttemptOutcome: Int]
    /// Sweeps currently paused.
    public var pausedSweeps: Int

    public init(jobs: [JobState: Int], attempts: [AttemptOutcome: Int], pausedSweeps: Int) {
        self.jobs = jobs; self.attempts = attempts; self.pausedSweeps = pausedSweeps
    }
}


/// A job's lifecycle as a store holds it: the rulebook's value read back from the row, and the
/// outcome and error of each attempt, in order.
public struct StoredLifecycle: Equatable, Sendable {
    public var lifecycle: JobLifecycle
    public var attempts: [Attempt]

    /// One attempt's ending, as stored (`running` while open).
    public struct Attempt: Equatable, Sendable {
        public var outcome: String
        public var error: String?
        public init(outcome: String, error: String?) { self.outcome = outcome; self.error = error }
    }

    public init(lifecycle: JobLifecycle, attempts: [Attempt]) { self.lifecycle = lifecycle; self.attempts = attempts }
}

/// A claim reply ready to send, and which job (and attempt) it hands out, for the log.
public struct EncodedClaim: Sendable {
    public var body: Data
    public var job: (id: Int64, attempt: Int)?
    public init(body: Data, job: (id: Int64, attempt: Int)?) { self.body = body; self.job = job }
}
