import FATNNJobs
import Foundation
import GRDB

/// The coordinator's persistent job store: one SQLite file in WAL mode, written only by the
/// coordinator process.
///
/// Every write is one `BEGIN IMMEDIATE` transaction with `synchronous=FULL`, so that an
/// acknowledged write survives a crash of the process or the machine.
public final class JobStore: Sendable {
    let pool: DatabasePool
    /// How long a claim lasts without a heartbeat.
    public let leaseSeconds: Double
    private let now: @Sendable () -> Double

    /// Opens (creating if needed) the database at `path` and migrates it.
    ///
    /// - Parameters:
    ///   - leaseSeconds: lease length granted by claims and extended by heartbeats.
    ///   - clock: current time in Unix seconds (injectable for tests).
    public init(path: String, leaseSeconds: Double = 120,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: config)
        self.leaseSeconds = leaseSeconds
        self.now = clock
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: Schema.version1) }
        migrator.registerMigration("v2") { db in try db.execute(sql: Schema.version2) }
        try migrator.migrate(pool)
    }

    /// The SQLite journal mode in force (`wal` expected).
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var out: T?
            try db.inTransaction(.immediate) {
                out = try body(db)
                return .commit
            }
            return out!
        }
    }

    /// Stores a sweep's jobs; jobs whose config hash is already stored are not added again.
    ///
    /// - Parameter document: the sweep file's text, kept for the record.
    public func submit(_ sweep: Sweep, document: String) throws -> API.SubmitResponse {
        let t = now()
        return try write { db in
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
                known.insert(job.configHash)
            }
            let sweepId = try Int64.fetchOne(db, sql: "SELECT id FROM sweeps WHERE name = ?", arguments: [sweep.name])!
            var added = 0
            for job in sweep.jobs {
                try db.execute(sql: """
                    INSERT INTO jobs (sweep_id, config_hash, group_hash, config, model, dataset, split, quantizer,
                                      learning_rate, seed, epochs, state, parent_hash, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
                    ON CONFLICT(config_hash) DO NOTHING
                    """, arguments: [sweepId, job.configHash, job.groupHash, job.canonicalJSON, job.model,
                                     job.dataset.name, job.splitLabel, job.quantizer.kind, job.training.learningRate,
                                     job.seed, job.training.epochs, job.initFrom, t, t])
                added += db.changesCount
            }
            try Self.failOrphans(db, now: t)
            return API.SubmitResponse(sweepId: sweepId, name: sweep.name, jobs: sweep.jobs.count,
                                      added: added, duplicates: sweep.jobs.count - added)
        }
    }

    /// Hands the oldest runnable queued job to `worker`, or nil when none is. Leases that expired
    /// are re-queued first. A fine-tuning job is runnable once its parent has succeeded and
    /// stored its model; it fails when its parent has failed.
    public func claim(worker: String, host: String) throws -> API.ClaimedJob? {
        let t = now()
        let token = Self.newToken()
        return try write { db in
            try Self.reap(db, now: t)
            try Self.failOrphans(db, now: t)
            guard let row = try Row.fetchOne(db, sql: """
                UPDATE jobs SET state = 'leased', claim_token = ?, worker = ?, host = ?, lease_expires_at = ?,
                                attempts = attempts + 1, last_epoch = NULL, updated_at = ?
                WHERE id = (SELECT j.id FROM jobs j WHERE j.state = 'queued' AND (j.parent_hash IS NULL OR EXISTS (
                                SELECT 1 FROM jobs p JOIN artifacts a ON a.config_hash = p.config_hash
                                WHERE p.config_hash = j.parent_hash AND p.state = 'succeeded'))
                            ORDER BY j.id LIMIT 1)
                RETURNING id, config
                """, arguments: [token, worker, host, t + leaseSeconds, t]) else { return nil }
            let config = try JobConfig.fromCanonical(row["config"])
            return API.ClaimedJob(id: row["id"], claimToken: token, config: config, leaseSeconds: leaseSeconds)
        }
    }

    /// Extends the lease of a claimed job and records an epoch's progress.
    ///
    /// - Throws: ``StoreError/staleClaim(_:)`` when `token` is not the job's current claim.
    public func heartbeat(job id: Int64, token: String, epoch: EpochReport?) throws {
        let t = now()
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET lease_expires_at = ?, updated_at = ?, last_epoch = coalesce(?, last_epoch)
                WHERE id = ? AND state = 'leased' AND claim_token = ?
                """, arguments: [t + leaseSeconds, t, epoch?.epoch, id, token])
            guard db.changesCount == 1 else { throw try Self.refusal(db, id) }
            if let e = epoch { try Self.record(db, job: id, epoch: e) }
        }
    }

    /// Accepts the result of a claimed job. Idempotent: the same token again after success is a
    /// no-op, so a worker may retry a result whose acknowledgement it lost.
    public func complete(job id: Int64, token: String, result: JobResult) throws {
        let t = now()
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        try write { db in
            if try Self.alreadySucceeded(db, id, token) { return }
            try db.execute(sql: """
                UPDATE jobs SET state = 'succeeded', lease_expires_at = NULL, error = NULL, updated_at = ?
                WHERE id = ? AND state = 'leased' AND claim_token = ?
                """, arguments: [t, id, token])
            guard db.changesCount == 1 else { throw try Self.refusal(db, id) }
            try db.execute(sql: """
                INSERT INTO results (job_id, test_accuracy, test_loss, val_accuracy, train_loss, train_seconds,
                                     images_per_second, host, threads, result, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, result.testAccuracy, result.testLoss, result.validationAccuracy, result.trainLoss,
                                 result.trainSeconds, result.imagesPerSecond, result.host, result.threads, json, t])
            for e in result.epochs { try Self.record(db, job: id, epoch: e) }
        }
    }

    /// Re-queues every job whose lease has expired (its worker stopped sending heartbeats).
    ///
    /// - Returns: how many jobs were re-queued.
    @discardableResult
    public func reapExpiredLeases() throws -> Int {
        let t = now()
        return try write { db in try Self.reap(db, now: t) }
    }

    @discardableResult
    private static func reap(_ db: Database, now t: Double) throws -> Int {
        try db.execute(sql: """
            UPDATE jobs SET state = 'queued', claim_token = NULL, worker = NULL, last_epoch = NULL, updated_at = ?
            WHERE state = 'leased' AND lease_expires_at < ?
            """, arguments: [t, t])
        return db.changesCount
    }

    /// Gives a claimed job back to the queue unrun, for a worker that cannot run it (for
    /// example, its dataset is missing on that host). The attempt is not counted.
    public func release(job id: Int64, token: String) throws {
        let t = now()
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET state = 'queued', claim_token = NULL, worker = NULL, lease_expires_at = NULL,
                                last_epoch = NULL, attempts = max(attempts - 1, 0), updated_at = ?
                WHERE id = ? AND state = 'leased' AND claim_token = ?
                """, arguments: [t, id, token])
            guard db.changesCount == 1 else { throw try Self.refusal(db, id) }
        }
    }

    /// Marks a claimed job failed with the worker's error message.
    public func fail(job id: Int64, token: String, error message: String) throws {
        let t = now()
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET state = 'failed', lease_expires_at = NULL, error = ?, updated_at = ?
                WHERE id = ? AND state = 'leased' AND claim_token = ?
                """, arguments: [String(message.prefix(4000)), t, id, token])
            guard db.changesCount == 1 else { throw try Self.refusal(db, id) }
            try Self.failOrphans(db, now: t)
        }
    }

    /// Fails every queued job whose parent has failed (repeatedly, down chains of stages).
    private static func failOrphans(_ db: Database, now t: Double) throws {
        repeat {
            try db.execute(sql: """
                UPDATE jobs SET state = 'failed', updated_at = ?,
                    error = 'the job it starts from (' || (SELECT p.id FROM jobs p WHERE p.config_hash = jobs.parent_hash) || ') failed'
                WHERE state = 'queued' AND parent_hash IN (SELECT config_hash FROM jobs WHERE state = 'failed')
                """, arguments: [t])
        } while db.changesCount > 0
    }

    /// Stores the model a claimed job produced, keyed by the job's config hash, for the jobs that
    /// fine-tune from it. Storing again (a retried upload) replaces it.
    ///
    /// - Throws: ``StoreError/staleClaim(_:)`` unless `token` is the job's current claim.
    public func storeArtifact(job id: Int64, token: String, data: Data) throws {
        let t = now()
        let digest = SHA256.hex([UInt8](data))
        try write { db in
            guard let hash = try String.fetchOne(db, sql: """
                SELECT config_hash FROM jobs WHERE id = ? AND state IN ('leased', 'succeeded') AND claim_token = ?
                """, arguments: [id, token]) else { throw try Self.refusal(db, id) }
            try db.execute(sql: """
                INSERT OR REPLACE INTO artifacts (config_hash, job_id, sha256, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [hash, id, digest, data.count, data, t])
        }
    }

    /// The model stored for the job with `configHash`, with its SHA-256, or nil.
    public func artifact(configHash: String) throws -> (data: Data, sha256: String)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT data, sha256 FROM artifacts WHERE config_hash = ?", arguments: [configHash])
                .map { ($0["data"], $0["sha256"]) }
        }
    }

    /// Number of jobs in each state (every state listed).
    public func counts() throws -> [String: Int] {
        try pool.read { db in
            var out = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM jobs GROUP BY state") {
                out[row["state"]] = row["n"]
            }
            return out
        }
    }

    private static func record(_ db: Database, job id: Int64, epoch e: EpochReport) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO epochs (job_id, epoch, train_loss, train_accuracy, val_accuracy, learning_rate, seconds)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, e.epoch, e.trainLoss, e.trainAccuracy, e.validationAccuracy, e.learningRate, e.seconds])
    }

    private static func alreadySucceeded(_ db: Database, _ id: Int64, _ token: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ? AND state = 'succeeded' AND claim_token = ?",
                          arguments: [id, token]) ?? false
    }

    private static func refusal(_ db: Database, _ id: Int64) throws -> StoreError {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [id]) == nil ? .jobNotFound(id) : .staleClaim(id)
    }

    static func newToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let s = String(g.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
    }
}
