import FATNNJobs
import GRDB

extension JobStore {
    /// Why the sweep's pruning rule stops job `id` after epoch report `e`, or nil to let it run:
    /// the rule (``PruningRule/decide(epoch:of:value:others:)``) applied to the metric of the
    /// other jobs of its sweep and stage at the epoch it is judged at
    /// (``PruningRule/decisionEpoch(reported:previous:of:)``, from the job's last report before
    /// this one). Call it before the heartbeat writes `last_epoch`.
    func pruneReason(_ db: Database, job id: Int64, epoch e: EpochReport) throws -> String? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT pruning, stage, sweep_id, epochs, last_epoch FROM jobs WHERE id = ?"),
                                         arguments: [id]),
              let json: String = row["pruning"], let rule = PruningRule(json: json) else { return nil }
        let epochs: Int = row["epochs"]
        guard let at = rule.decisionEpoch(reported: e.epoch, previous: row["last_epoch"] ?? 0, of: epochs) else { return nil }
        let value: Double? = switch rule.metric {
        case .valAcc: e.validationAccuracy
        case .trainAcc: e.trainAccuracy
        case .trainLoss: e.trainLoss
        }
        guard let value else { return nil }
        // The column comes from the rule's closed set of metrics, never from input text.
        let column = rule.metric.column
        let others = try Double.fetchAll(db.cachedStatement(sql: """
            SELECT e.\(column) FROM jobs j JOIN epochs e ON e.job_id = j.id AND e.epoch = ?
            WHERE j.sweep_id = ? AND j.stage IS ? AND j.id <> ? AND e.\(column) IS NOT NULL
            """), arguments: [at, row["sweep_id"] as Int64, row["stage"] as String?, id])
        if case .prune(let reason) = rule.decide(epoch: at, of: epochs, value: value, others: others) { return reason }
        return nil
    }
}
