import FATNNJobs
import Foundation
import GRDB

/// The coordinator's persistent job store: one SQLite file in WAL mode, written only by the
/// coordinator process.
///
/// Every write is one `BEGIN IMMEDIATE` transaction. Writes whose acknowledgement a caller may
/// rely on (submissions, results, failures, cancels) commit with `synchronous=FULL`, so they
/// survive a crash of the process or the machine. Claims and heartbeats commit with
/// `synchronous=NORMAL` (still atomic, and durable across a process crash): if the machine loses
/// one, the worker's token is unknown on restart and its next call is refused, which is safe.
///
/// The lifecycle rules are ``JobLifecycle``'s; the store loads a job's lifecycle columns,
/// applies an event, and writes them back in the same transaction.
public final class JobStore: Sendable {
    let pool: DatabasePool
    /// Lease and backoff timing.
    public let timing: LifecycleTiming
    /// How long a claim lasts without a heartbeat.
    public var leaseSeconds: Double { timing.leaseSeconds }
    let now: @Sendable () -> Double
    let batcher: WriteBatcher
    /// When a claim last reaped overdue leases (claims reap at most once a second).
    private let claimReaps = ClaimReapThrottle()

    /// This store as the HTTP layer's ``JobQueueStore``: writes group-committed, reads async.
    public var queue: SQLiteJobQueue { SQLiteJobQueue(store: self) }

    /// Opens (creating if needed) the database at `path` and migrates it.
    ///
    /// - Parameters:
    ///   - leaseSeconds: lease length granted by claims and extended by heartbeats.
    ///   - backoffSeconds: wait before the first re-run of a failed attempt (doubles per retry).
    ///   - clock: current time in Unix seconds (injectable for tests).
    public init(path: String, leaseSeconds: Double = 120, backoffSeconds: Double = 5,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: config)
        batcher = WriteBatcher(pool: pool)
        self.timing = LifecycleTiming(leaseSeconds: leaseSeconds, backoffSeconds: backoffSeconds,
                                      maxBackoffSeconds: max(backoffSeconds, min(600, backoffSeconds * 64)))
        self.now = clock
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: Schema.version1) }
        migrator.registerMigration("v2") { db in try db.execute(sql: Schema.version2) }
        migrator.registerMigration("v3") { db in try db.execute(sql: Schema.version3) }
        migrator.registerMigration("v4") { db in try db.execute(sql: Schema.version4) }
        migrator.registerMigration("v5") { db in try Schema.regroupFineTuningJobs(db) }
        migrator.registerMigration("v6") { db in try db.execute(sql: Schema.version6) }
        migrator.registerMigration("v7") { db in try db.execute(sql: Schema.version7) }
        migrator.registerMigration("v8") { db in try db.execute(sql: Schema.version8) }
        try migrator.migrate(pool)
    }

    /// The SQLite journal mode in force (`wal` expected).
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// `PRAGMA integrity_check`'s answer (`ok` for a sound file).
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// One `BEGIN IMMEDIATE` transaction; `durable: false` commits with `synchronous=NORMAL`.
    func write<T>(durable: Bool = true, _ body: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var out: T?
            try Self.immediateTransaction(db, durable: durable) { out = try body(db) }
            return out!
        }
    }

    /// One `BEGIN IMMEDIATE` transaction on the writer connection, committed with
    /// `synchronous=FULL`, or `NORMAL` when not `durable` (FULL is the connection's default, and
    /// is restored). Used by ``write(durable:_:)`` and the ``WriteBatcher``.
    static func immediateTransaction(_ db: Database, durable: Bool, _ body: () throws -> Void) throws {
        if !durable { try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute() }
        defer { if !durable { try? db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() } }
        try db.inTransaction(.immediate) {
            try body()
            return .commit
        }
    }

    /// Stores a sweep's jobs; jobs whose config is already stored are not added again, unless
    /// `replicate` asks for that many more copies of every job.
    ///
    /// - Parameters:
    ///   - document: the sweep file's text, kept for the record.
    ///   - replicate: 0 to add only new configs; N > 0 to add N copies of every job of the sweep.
    public func submit(_ sweep: Sweep, document: String, replicate: Int = 0) throws -> API.SubmitResponse {
        try write(submitOp(sweep, document: document, replicate: replicate))
    }

    func submitOp(_ sweep: Sweep, document: String, replicate: Int) -> @Sendable (Database) throws -> API.SubmitResponse {
        let t = now()
        // Hashing is the expensive part of a large sweep: done once per job, before the transaction.
        let ids = JobConfig.identities(of: sweep.jobs)
        let total = sweep.jobs.count * max(1, replicate)
        return { [self] db in
            guard total <= Sweep.maxJobs else {
                throw StoreError.invalid(SweepError(path: "replicate", "\(sweep.jobs.count) jobs x \(replicate) copies is \(total) jobs; the limit is \(Sweep.maxJobs) per submission"))
            }
            try db.execute(sql: """
                INSERT INTO sweeps (name, document, submitted_at) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET document = excluded.document, submitted_at = excluded.submitted_at
                """, arguments: [sweep.name, document, t])
            // Every parent must be a stored job or one of this sweep's (which come before their children).
            var known = Set<String>()
            for (i, job) in sweep.jobs.enumerated() {
                if let parent = job.initFrom, !known.contains(parent),
                   try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE config_hash = ?", arguments: [parent]) == nil {
                    throw StoreError.invalid(SweepError(path: "jobs[\(i)].initFrom", "no job with config hash \(parent) is stored or comes earlier in this sweep"))
                }
                known.insert(ids[i].configHash)
            }
            let sweepId = try Int64.fetchOne(db, sql: "SELECT id FROM sweeps WHERE name = ?", arguments: [sweep.name])!
            let p = sweep.policy
            let insert = try db.cachedStatement(sql: """
                INSERT INTO jobs (sweep_id, config_hash, replica, group_hash, config, model, dataset, split, quantizer,
                                  learning_rate, seed, epochs, state, parent_hash, priority, max_error_retries,
                                  max_lost_retries, timeout_seconds, created_at, updated_at, stage, pruning)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(config_hash, replica) DO NOTHING
                """)
            var added = 0
            // A fine-tuning job's group names its parent's group (so seeds of a QAT stage group
            // together): the parent is earlier in this sweep or stored.
            var groups: [String: String] = [:]
            for (i, (job, id)) in zip(sweep.jobs, ids).enumerated() {
                let (stage, pruning) = (sweep.stage(of: i), sweep.pruningJSON(of: i))
                var group = id.groupHash
                if let parent = job.initFrom {
                    let parentGroup = try groups[parent]
                        ?? String.fetchOne(db, sql: "SELECT group_hash FROM jobs WHERE config_hash = ? LIMIT 1", arguments: [parent])
                    group = job.groupHash(parentGroup: parentGroup)
                }
                groups[id.configHash] = group
                var replicas = [0]
                if replicate > 0 {
                    let next = try Int.fetchOne(db, sql: "SELECT max(replica) + 1 FROM jobs WHERE config_hash = ?", arguments: [id.configHash]) ?? 0
                    replicas = Array(next..<(next + replicate))
                }
                for replica in replicas {
                    try insert.execute(arguments: [sweepId, id.configHash, replica, group, id.canonicalJSON, job.model.rawValue,
                                                   job.dataset.name.rawValue, job.splitLabel, job.quantizer.kind.rawValue, job.training.learningRate,
                                                   job.seed, job.training.epochs, job.initFrom, p.priority, p.errorRetries,
                                                   p.lostRetries, p.timeoutSeconds, t, t, stage, pruning])
                    added += db.changesCount
                }
            }
            try failOrphans(db, now: t)
            let expected = sweep.jobs.count * max(1, replicate)
            return API.SubmitResponse(sweepId: sweepId, name: sweep.name, jobs: sweep.jobs.count,
                                      added: added, duplicates: expected - added)
        }
    }

    /// Hands the highest-priority, oldest claimable job to `worker`, or nil when none is.
    ///
    /// Claimable: queued, past its backoff, in a sweep that is not paused, and (for a
    /// fine-tuning job) with a parent that succeeded and stored its model. Overdue leases are
    /// reaped first. The pick (``JobLifecycle/claimableSQL(_:)``) and the claim
    /// (``JobLifecycle/claimSetSQL``, the lifecycle's `claim` transition restated, checked by
    /// `LifecycleParityTests`) are one `UPDATE … RETURNING` in one transaction, so two workers
    /// can never hold the same job.
    public func claim(worker: String, host: String) throws -> API.ClaimedJob? {
        try write(durable: false, claimOp(worker: worker, host: host)).job
    }

    /// The claim's transaction body; with no job to hand out, the response says whether jobs
    /// are still pending (queued in an unpaused sweep, or leased), so idle workers know whether
    /// to wait or to exit.
    func claimOp(worker: String, host: String) -> @Sendable (Database) throws -> API.ClaimResponse {
        let raw = rawClaimOp(worker: worker, host: host)
        return { db in try raw(db).response() }
    }

    /// The claim with the job's config as stored (canonical JSON), not decoded: the HTTP layer
    /// sends it on as it is (``RawClaim/jsonBody()``), so the single writer spends no time on it.
    func rawClaimOp(worker: String, host: String, identity: String? = nil) -> @Sendable (Database) throws -> RawClaim {
        let t = now()
        let token = Self.newToken()
        let reapFirst = claimReaps.due(at: t)
        let leaseSeconds = timing.leaseSeconds
        return { [self] db in
            if reapFirst { try reap(db, now: t) }
            // One statement picks and claims (JobsSQL.claim: the claimable rule and the `claim` transition).
            guard let row = try Row.fetchOne(db.cachedStatement(sql: Self.claimSQL),
                                             arguments: [token, t, t + leaseSeconds, worker, host, t, t, t]) else {
                let pending = try Bool.fetchOne(db.cachedStatement(sql: JobsSQL.pending)) ?? false
                return RawClaim(job: nil, pending: pending)
            }
            // The transition's effect: open the attempt.
            let id: Int64 = row["id"]
            let attempt: Int = row["attempts"]
            try Self.openAttempt(db, job: id, attempt, worker: worker, host: host, identity: identity, now: t)
            return RawClaim(job: .init(id: id, claimToken: token, config: row["config"], leaseSeconds: leaseSeconds,
                                       attempt: attempt, replica: row["replica"]), pending: true)
        }
    }

    /// Number of jobs in each state (every state listed).
    public func counts() throws -> [String: Int] { try pool.read(Self.counts) }

    static func counts(_ db: Database) throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try stateCounts(db).map { ($0.key.rawValue, $0.value) })
    }

    /// The claim statement (built once; SQLite's single writer needs no row lock).
    static let claimSQL = JobsSQL.claim()

    /// A fresh 256-bit random token, as 64 hex digits.
    public static func newToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let s = String(g.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
    }
}

/// A value behind a lock.
final class LockedValue<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func update<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&value) } }
}

/// Claims reap overdue leases first, at most once a second (every store backend).
public final class ClaimReapThrottle: Sendable {
    private let last = LockedValue(-Double.infinity)

    public init() {}

    /// Whether a claim at `now` should reap first; records it if so.
    public func due(at now: Double) -> Bool {
        last.update { last in
            guard now - last >= 1 else { return false }
            last = now
            return true
        }
    }
}
