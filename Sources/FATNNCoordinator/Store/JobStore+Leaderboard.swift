import FATNNJobs
import Foundation
import GRDB

extension JobStore {
    /// Every job, best test accuracy first, then unfinished jobs by id.
    public func leaderboard(limit: Int = 10_000) throws -> [LeaderboardRow] {
        try pool.read { db in try Self.rows(db, where: "1", arguments: [], limit: limit) }
    }

    static func rows(_ db: Database, where condition: String, arguments: StatementArguments, limit: Int) throws -> [LeaderboardRow] {
            try Row.fetchAll(db, sql: """
                SELECT j.id, s.name AS sweep, j.model, j.quantizer, j.dataset, j.split, j.seed, j.learning_rate,
                       j.state, j.last_epoch, j.epochs, r.test_accuracy, r.val_accuracy, r.train_seconds,
                       r.images_per_second, \(parentJob("j")) AS parent,
                       json_extract(r.result, '$.packedExact') AS packed_exact,
                       json_extract(r.result, '$.packed.latencyBatch64') AS packed_latency64,
                       json_extract(r.result, '$.packed.latencyBatch1') AS packed_latency1
                FROM jobs j JOIN sweeps s ON s.id = j.sweep_id LEFT JOIN results r ON r.job_id = j.id
                WHERE \(condition)
                ORDER BY r.test_accuracy IS NULL, r.test_accuracy DESC, j.id
                LIMIT ?
                """, arguments: arguments + [limit]).map { row in
                LeaderboardRow.stored(id: row["id"], sweep: row["sweep"], model: row["model"], quantizer: row["quantizer"],
                                      dataset: row["dataset"], split: row["split"], seed: row["seed"], learningRate: row["learning_rate"],
                                      testAccuracy: row["test_accuracy"], validationAccuracy: row["val_accuracy"],
                                      trainSeconds: row["train_seconds"], imagesPerSecond: row["images_per_second"], state: row["state"],
                                      epoch: row["last_epoch"], epochs: row["epochs"], parent: row["parent"],
                                      packedExact: (row["packed_exact"] as Int64?).map { $0 != 0 },
                                      packedLatency64: row["packed_latency64"], packedLatency1: row["packed_latency1"])
            }
    }

    /// One job with its config, attempts, epochs and result, or nil.
    public func jobDetail(_ id: Int64) throws -> API.JobDetail? { try pool.read { try Self.jobDetail($0, id) } }

    /// The attempts of a job, first first.
    public func attempts(job id: Int64) throws -> [API.Attempt] { try pool.read { try Self.attempts($0, job: id)[id] ?? [] } }

    /// Jobs per state, attempts per outcome and paused sweeps, for `/metrics`.
    public func metrics() throws -> StoreMetrics { try pool.read(Self.metrics) }

    /// The accepted result of a job, if it has one.
    public func result(job id: Int64) throws -> JobResult? { try pool.read { try Self.result($0, job: id) } }

    /// The error message of a failed job, if any.
    public func error(job id: Int64) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT error FROM jobs WHERE id = ?", arguments: [id]) }
    }

    // Read bodies: run blocking by the methods above, and on GRDB's reader pool by SQLiteJobQueue.

    static func jobDetail(_ db: Database, _ id: Int64) throws -> API.JobDetail? {
        guard let row = try rows(db, where: "j.id = ?", arguments: [id], limit: 1).first,
              let job = try Row.fetchOne(db, sql: "SELECT config, config_hash, replica, error FROM jobs WHERE id = ?", arguments: [id])
        else { return nil }
        let epochs = try Row.fetchAll(db, sql: """
            SELECT epoch, train_loss, train_accuracy, val_accuracy, learning_rate, seconds FROM epochs WHERE job_id = ? ORDER BY epoch
            """, arguments: [id]).map {
            EpochReport(epoch: $0["epoch"], trainLoss: $0["train_loss"], trainAccuracy: $0["train_accuracy"],
                        validationAccuracy: $0["val_accuracy"], learningRate: $0["learning_rate"], seconds: $0["seconds"])
        }
        return API.JobDetail(row: row, config: try JobConfig.fromCanonical(job["config"]), configHash: job["config_hash"],
                             replica: job["replica"], error: job["error"], attempts: try attempts(db, job: id)[id] ?? [],
                             epochs: epochs, result: try result(db, job: id))
    }

    /// Attempts by job id, first first: of one job, or of every job when `id` is nil.
    static func attempts(_ db: Database, job id: Int64?) throws -> [Int64: [API.Attempt]] {
        var sql = "SELECT job_id, attempt, worker, host, started_at, ended_at, outcome, error, identity, result_identity, invalidated_at, invalidated_result FROM attempts"
        var args = StatementArguments()
        if let id { sql += " WHERE job_id = ?"; args += [id] }
        var out: [Int64: [API.Attempt]] = [:]
        for r in try Row.fetchAll(db, sql: sql + " ORDER BY job_id, attempt", arguments: args) {
            var a = API.Attempt(attempt: r["attempt"], worker: r["worker"], host: r["host"], startedAt: r["started_at"],
                                endedAt: r["ended_at"], outcome: AttemptOutcome(rawValue: r["outcome"]) ?? .error, error: r["error"],
                                identity: r["identity"], resultIdentity: r["result_identity"])
            a.invalidatedAt = r["invalidated_at"]
            a.invalidatedResult = try (r["invalidated_result"] as String?).map(decodeResult)
            out[r["job_id"], default: []].append(a)
        }
        return out
    }

    static func result(_ db: Database, job id: Int64) throws -> JobResult? {
        try String.fetchOne(db, sql: "SELECT result FROM results WHERE job_id = ?", arguments: [id]).map(decodeResult)
    }

    public static func decodeResult(_ json: String) throws -> JobResult {
        try JSONDecoder().decode(JobResult.self, from: Data(json.utf8))
    }

    /// Jobs per state, every state listed.
    static func stateCounts(_ db: Database) throws -> [JobState: Int] {
        var jobs = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for r in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM jobs GROUP BY state") {
            if let s = JobState(rawValue: r["state"]) { jobs[s] = r["n"] }
        }
        return jobs
    }

    static func metrics(_ db: Database) throws -> StoreMetrics {
        var attempts = Dictionary(uniqueKeysWithValues: AttemptOutcome.allCases.map { ($0, 0) })
        for r in try Row.fetchAll(db, sql: "SELECT outcome, count(*) AS n FROM attempts GROUP BY outcome") {
            if let o = AttemptOutcome(rawValue: r["outcome"]) { attempts[o] = r["n"] }
        }
        let paused = try Int.fetchOne(db, sql: "SELECT count(*) FROM sweeps WHERE paused = 1") ?? 0
        return StoreMetrics(jobs: try stateCounts(db), attempts: attempts, pausedSweeps: paused)
    }
}

extension LeaderboardRow {
    /// A leaderboard row from a store's columns (every backend builds it here). Never a
    /// non-finite number (JSON has none): such a figure, from a row stored before results were
    /// range-checked, reads as missing; packed images per second are 64 over the batch-64 latency.
    public static func stored(id: Int64, sweep: String, model: String, quantizer: String, dataset: String, split: String, seed: Int,
                              learningRate: Double, testAccuracy: Double?, validationAccuracy: Double?, trainSeconds: Double?,
                              imagesPerSecond: Double?, state: String, epoch: Int?, epochs: Int, parent: Int64?,
                              packedExact: Bool?, packedLatency64: Double?, packedLatency1: Double?) -> LeaderboardRow {
        func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
        var r = LeaderboardRow(id: id, sweep: sweep, model: model, quantizer: quantizer, dataset: dataset, split: split, seed: seed,
                               learningRate: finite(learningRate) ?? 0, testAccuracy: finite(testAccuracy),
                               validationAccuracy: finite(validationAccuracy), trainSeconds: finite(trainSeconds),
                               imagesPerSecond: finite(imagesPerSecond), state: JobState(rawValue: state) ?? .failed,
                               epoch: epoch, epochs: epochs, parent: parent)
        r.packedExact = packedExact
        r.packedImagesPerSecond = finite(packedLatency64.flatMap { $0 > 0 ? 64 / $0 : nil })
        r.packedLatencyBatch1 = finite(packedLatency1)
        return r
    }
}
