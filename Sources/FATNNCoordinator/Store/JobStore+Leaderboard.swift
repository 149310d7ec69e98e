import FATNNJobs
import Foundation
import GRDB

extension JobStore {
    /// Every job, best test accuracy first, then unfinished jobs by id.
    public func leaderboard(limit: Int = 10_000) throws -> [LeaderboardRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT j.id, s.name AS sweep, j.model, j.quantizer, j.dataset, j.split, j.seed, j.learning_rate,
                       j.state, j.last_epoch, j.epochs, r.test_accuracy, r.val_accuracy, r.train_seconds,
                       r.images_per_second, (SELECT p.id FROM jobs p WHERE p.config_hash = j.parent_hash) AS parent,
                       json_extract(r.result, '$.packedExact') AS packed_exact,
                       json_extract(r.result, '$.packed.latencyBatch64') AS packed_latency64,
                       json_extract(r.result, '$.packed.latencyBatch1') AS packed_latency1
                FROM jobs j JOIN sweeps s ON s.id = j.sweep_id LEFT JOIN results r ON r.job_id = j.id
                ORDER BY r.test_accuracy IS NULL, r.test_accuracy DESC, j.id
                LIMIT ?
                """, arguments: [limit]).map { row in
                var r = LeaderboardRow(id: row["id"], sweep: row["sweep"], model: row["model"], quantizer: row["quantizer"],
                               dataset: row["dataset"], split: row["split"], seed: row["seed"],
                               learningRate: row["learning_rate"], testAccuracy: row["test_accuracy"],
                               validationAccuracy: row["val_accuracy"], trainSeconds: row["train_seconds"],
                               imagesPerSecond: row["images_per_second"], state: JobState(rawValue: row["state"]) ?? .failed,
                               epoch: row["last_epoch"], epochs: row["epochs"], parent: row["parent"])
                r.packedExact = (row["packed_exact"] as Int64?).map { $0 != 0 }
                r.packedImagesPerSecond = (row["packed_latency64"] as Double?).flatMap { $0 > 0 ? 64 / $0 : nil }
                r.packedLatencyBatch1 = row["packed_latency1"]
                return r
            }
        }
    }

    /// The accepted result of a job, if it has one.
    public func result(job id: Int64) throws -> JobResult? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT result FROM results WHERE job_id = ?", arguments: [id])
        }.map { try JSONDecoder().decode(JobResult.self, from: Data($0.utf8)) }
    }

    /// The error message of a failed job, if any.
    public func error(job id: Int64) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT error FROM jobs WHERE id = ?", arguments: [id]) }
    }
}
