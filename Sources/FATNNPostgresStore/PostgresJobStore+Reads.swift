import FATNNCoordinator
import FATNNJobs
import Foundation

/// The reads of ``JobReadStore`` (job detail, leaderboard rows, progress, export, counts,
/// metrics), each on one pooled connection. The rows are built as the SQLite store builds them
/// (`LeaderboardRow.stored`), so that both stores answer alike (`StoreReadParityTests`).
extension PostgresJobStore: JobReadStore {
    public func counts() async throws -> [String: Int] {
        try await read { tx in Dictionary(uniqueKeysWithValues: try await stateCounts(tx).map { ($0.key.rawValue, $0.value) }) }
    }

    public func leaderboard(limit: Int) async throws -> [LeaderboardRow] {
        try await read { tx in try await rows(tx, where: "true", [], limit: limit) }
    }

    func rows(_ tx: PostgresTx, where condition: String, _ args: [any SQLBindable], limit: Int) async throws -> [LeaderboardRow] {
        try await tx.rows("""
            SELECT j.id, s.name AS sweep, j.model, j.quantizer, j.dataset, j.split, j.seed, j.learning_rate,
                   j.state, j.last_epoch, j.epochs, r.test_accuracy, r.val_accuracy, r.train_seconds,
                   r.images_per_second, \(JobsSQL.parentJob("j")) AS parent,
                   (r.result::jsonb ->> 'packedExact') AS packed_exact,
                   (r.result::jsonb #>> '{packed,latencyBatch64}')::float8 AS packed_latency64,
                   (r.result::jsonb #>> '{packed,latencyBatch1}')::float8 AS packed_latency1
            FROM jobs j JOIN sweeps s ON s.id = j.sweep_id LEFT JOIN results r ON r.job_id = j.id
            WHERE \(condition)
            ORDER BY r.test_accuracy IS NULL, r.test_accuracy DESC, j.id
            LIMIT ?
            """, args + [limit]).map { row in
            LeaderboardRow.stored(
                id: try row.get("id"), sweep: try row.get("sweep"), model: try row.get("model"), quantizer: try row.get("quantizer"),
                dataset: try row.get("dataset"), split: try row.get("split"), seed: try row.get("seed"),
                learningRate: try row.get("learning_rate"), testAccuracy: try row.get("test_accuracy"),
                validationAccuracy: try row.get("val_accuracy"), trainSeconds: try row.get("train_seconds"),
                imagesPerSecond: try row.get("images_per_second"), state: try row.get("state"), epoch: try row.get("last_epoch"),
                epochs: try row.get("epochs"), parent: try row.get("parent"),
                packedExact: try row.get("packed_exact", as: String?.self).map { $0 == "true" },
                packedLatency64: try row.get("packed_latency64"), packedLatency1: try row.get("packed_latency1"))
        }
    }

    public func jobDetail(_ id: Int64) async throws -> API.JobDetail? {
        try await read { tx -> API.JobDetail? in
            guard let row = try await rows(tx, where: "j.id = ?", [id], limit: 1).first,
                  let job = try await tx.row("SELECT config, config_hash, replica, error FROM jobs WHERE id = ?", [id]) else { return nil }
            let epochs = try await tx.rows("""
                SELECT epoch, train_loss, train_accuracy, val_accuracy, learning_rate, seconds FROM epochs WHERE job_id = ? ORDER BY epoch
                """, [id]).map {
                EpochReport(epoch: try $0.get("epoch"), trainLoss: try $0.get("train_loss"), trainAccuracy: try $0.get("train_accuracy"),
                            validationAccuracy: try $0.get("val_accuracy"), learningRate: try $0.get("learning_rate"),
                            seconds: try $0.get("seconds"))
            }
            let result = try await tx.row("SELECT result FROM results WHERE job_id = ?", [id])
            return API.JobDetail(row: row, config: try JobConfig.fromCanonical(try job.get("config")), configHash: try job.get("config_hash"),
                                 replica: try job.get("replica"), error: try job.get("error"),
                                 attempts: try await attempts(tx, job: id)[id] ?? [], epochs: epochs,
                                 result: try result.map { try JobStore.decodeResult(try $0.get("result")) })
        }
    }

    /// Attempts by job id, first first: of one job, or of every job when `id` is nil.
    func attempts(_ tx: PostgresTx, job id: Int64?) async throws -> [Int64: [API.Attempt]] {
        var sql = """
            SELECT job_id, attempt, worker, host, started_at, ended_at, outcome, error, identity, result_identity,
                   invalidated_at, invalidated_result FROM attempts
            """
        var args: [any SQLBindable] = []
        if let id { sql += " WHERE job_id = ?"; args.append(id) }
        var out: [Int64: [API.Attempt]] = [:]
        for r in try await tx.rows(sql + " ORDER BY job_id, attempt", args) {
            var a = API.Attempt(attempt: try r.get("attempt"), worker: try r.get("worker"), host: try r.get("host"),
                                startedAt: try r.get("started_at"), endedAt: try r.get("ended_at"),
                                outcome: AttemptOutcome(rawValue: try r.get("outcome")) ?? .error, error: try r.get("error"),
                                identity: try r.get("identity"), resultIdentity: try r.get("result_identity"))
            a.invalidatedAt = try r.get("invalidated_at")
            a.invalidatedResult = try r.get("invalidated_result", as: String?.self).map(JobStore.decodeResult)
            out[try r.get("job_id"), default: []].append(a)
        }
        return out
    }

    public func progress() async throws -> API.ProgressReport {
        let t = now()
        return try await read { tx in
            var sweeps: [String: API.ProgressReport.SweepCounts] = [:], order: [String] = []
            for r in try await tx.rows("SELECT name, paused FROM sweeps ORDER BY id") {
                let name: String = try r.get("name")
                order.append(name)
                sweeps[name] = .init(name: name, paused: try r.get("paused", as: Int.self) != 0,
                                     counts: Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, 0) }))
            }
            for r in try await tx.rows("SELECT s.name, j.state, count(*) AS n FROM jobs j JOIN sweeps s ON s.id = j.sweep_id GROUP BY s.name, j.state") {
                sweeps[try r.get("name", as: String.self)]?.counts[try r.get("state")] = try r.get("n", as: Int.self)
            }
            for name in order { sweeps[name]?.remainingEpochs = 0 }
            for r in try await tx.rows(JobsSQL.remainingEpochsSQL) {
                sweeps[try r.get("name", as: String.self)]?.remainingEpochs = try r.get("remaining", as: Int.self)
            }
            for r in try await tx.rows(JobsSQL.runningEpochSecondsSQL) {
                sweeps[try r.get("name", as: String.self)]?.secondsPerEpoch = try r.get("pace", as: Double.self)
            }
            let live = try await tx.rows("""
                SELECT j.id, s.name, j.worker, j.host, j.last_epoch, j.epochs, j.last_loss, j.last_accuracy, j.last_heartbeat_at, j.cancel_requested
                FROM jobs j JOIN sweeps s ON s.id = j.sweep_id WHERE j.state = 'leased' ORDER BY j.id LIMIT 1000
                """).map { r in
                API.ProgressReport.LiveJob(id: try r.get("id"), sweep: try r.get("name"), worker: try r.get("worker"), host: try r.get("host"),
                                           epoch: try r.get("last_epoch"), epochs: try r.get("epochs"), loss: try r.get("last_loss"),
                                           accuracy: try r.get("last_accuracy"),
                                           heartbeatAge: try r.get("last_heartbeat_at", as: Double?.self).map { t - $0 },
                                           cancelRequested: try r.get("cancel_requested", as: Int.self) != 0)
            }
            return API.ProgressReport(sweeps: order.compactMap { sweeps[$0] }, live: live)
        }
    }

    public func export(sweep: String?) async throws -> [API.ExportRecord] {
        try await read { tx in
            let attempts = try await attempts(tx, job: nil)
            var prunedEpochs: [Int64: [EpochReport]] = [:]
            for r in try await tx.rows("""
                SELECT e.job_id, e.epoch, e.train_loss, e.train_accuracy, e.val_accuracy, e.learning_rate, e.seconds
                FROM epochs e JOIN jobs j ON j.id = e.job_id JOIN sweeps s ON s.id = j.sweep_id
                WHERE j.state = 'pruned' AND (CAST(? AS text) IS NULL OR s.name = ?) ORDER BY e.job_id, e.epoch
                """, [sweep, sweep]) {
                prunedEpochs[try r.get("job_id"), default: []].append(EpochReport(
                    epoch: try r.get("epoch"), trainLoss: try r.get("train_loss"), trainAccuracy: try r.get("train_accuracy"),
                    validationAccuracy: try r.get("val_accuracy"), learningRate: try r.get("learning_rate"), seconds: try r.get("seconds")))
            }
            var sql = """
                SELECT j.id, s.name AS sweep, j.state, j.config_hash, j.group_hash, j.replica, j.seed, j.config, j.error, r.result
                FROM jobs j JOIN sweeps s ON s.id = j.sweep_id LEFT JOIN results r ON r.job_id = j.id
                """
            var args: [any SQLBindable] = []
            if let sweep { sql += " WHERE s.name = ?"; args.append(sweep) }
            return try await tx.rows(sql + " ORDER BY j.id", args).map { r in
                let id: Int64 = try r.get("id")
                return API.ExportRecord(
                    id: id, sweep: try r.get("sweep"), state: JobState(rawValue: try r.get("state")) ?? .failed,
                    configHash: try r.get("config_hash"), groupHash: try r.get("group_hash"), replica: try r.get("replica"),
                    seed: try r.get("seed"), config: try JobConfig.fromCanonical(try r.get("config")), error: try r.get("error"),
                    attempts: attempts[id] ?? [], result: try r.get("result", as: String?.self).map(JobStore.decodeResult),
                    epochs: try r.get("state", as: String.self) == JobState.pruned.rawValue ? prunedEpochs[id] ?? [] : nil)
            }
        }
    }

    func stateCounts(_ tx: PostgresTx) async throws -> [JobState: Int] {
        var jobs = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for r in try await tx.rows("SELECT state, count(*) AS n FROM jobs GROUP BY state") {
            if let s = JobState(rawValue: try r.get("state")) { jobs[s] = try r.get("n", as: Int.self) }
        }
        return jobs
    }

    public func metrics() async throws -> StoreMetrics {
        try await read { tx in
            var attempts = Dictionary(uniqueKeysWithValues: AttemptOutcome.allCases.map { ($0, 0) })
            for r in try await tx.rows("SELECT outcome, count(*) AS n FROM attempts GROUP BY outcome") {
                if let o = AttemptOutcome(rawValue: try r.get("outcome")) { attempts[o] = try r.get("n", as: Int.self) }
            }
            let paused = try await tx.row("SELECT count(*) AS n FROM sweeps WHERE paused = 1")?.get("n", as: Int.self) ?? 0
            return StoreMetrics(jobs: try await stateCounts(tx), attempts: attempts, pausedSweeps: paused)
        }
    }
}
