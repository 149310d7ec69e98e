import FATNNJobs
import Foundation
import GRDB

extension JobStore {
    /// Every job (of `sweep`, if given) with its config, attempts and result, by id.
    public func export(sweep: String? = nil) throws -> [API.ExportRecord] { try pool.read { try Self.export($0, sweep: sweep) } }

    static func export(_ db: Database, sweep: String?) throws -> [API.ExportRecord] {
        let attempts = try attempts(db, job: nil)
        var prunedEpochs: [Int64: [EpochReport]] = [:]
        for r in try Row.fetchAll(db, sql: """
            SELECT e.job_id, e.epoch, e.train_loss, e.train_accuracy, e.val_accuracy, e.learning_rate, e.seconds
            FROM epochs e JOIN jobs j ON j.id = e.job_id JOIN sweeps s ON s.id = j.sweep_id
            WHERE j.state = 'pruned' AND (? IS NULL OR s.name = ?) ORDER BY e.job_id, e.epoch
            """, arguments: [sweep, sweep]) {
            prunedEpochs[r["job_id"], default: []].append(EpochReport(epoch: r["epoch"], trainLoss: r["train_loss"], trainAccuracy: r["train_accuracy"],
                                                                      validationAccuracy: r["val_accuracy"], learningRate: r["learning_rate"], seconds: r["seconds"]))
        }
        var sql = """
            SELECT j.id, s.name AS sweep, j.state, j.config_hash, j.group_hash, j.replica, j.seed, j.config, j.error, r.result
            FROM jobs j JOIN sweeps s ON s.id = j.sweep_id LEFT JOIN results r ON r.job_id = j.id
            """
        var args = StatementArguments()
        if let sweep { sql += " WHERE s.name = ?"; args += [sweep] }
        return try Row.fetchAll(db, sql: sql + " ORDER BY j.id", arguments: args).map { r in
            let id: Int64 = r["id"]
            return API.ExportRecord(
                id: id, sweep: r["sweep"], state: JobState(rawValue: r["state"]) ?? .failed, configHash: r["config_hash"],
                groupHash: r["group_hash"], replica: r["replica"], seed: r["seed"], config: try JobConfig.fromCanonical(r["config"]),
                error: r["error"], attempts: attempts[id] ?? [], result: try (r["result"] as String?).map(decodeResult),
                epochs: r["state"] == JobState.pruned.rawValue ? prunedEpochs[id] ?? [] : nil)
        }
    }
}
