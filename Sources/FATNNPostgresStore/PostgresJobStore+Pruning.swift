import FATNNCoordinator
import FATNNJobs

/// Early stopping: a heartbeat that reports an epoch at which its job's pruning rule may decide
/// goes through a transaction of its own instead of the heartbeat batch.
extension PostgresJobStore {
    /// The rule, sweep, stage and length of job `id` when `epoch` is one its rule decides at.
    func pruningCandidate(job id: Int64, epoch: EpochReport) async throws -> (rule: PruningRule, sweep: Int64, stage: String?, epochs: Int)? {
        try await read { tx in
            guard let r = try await tx.row("SELECT pruning, stage, sweep_id, epochs FROM jobs WHERE id = ?", [id]),
                  let json = try r.get("pruning", as: String?.self), let rule = PruningRule(json: json) else { return nil }
            let epochs = try r.get("epochs", as: Int.self)
            guard rule.mayDecide(epoch: epoch.epoch, of: epochs) else { return nil }
            return (rule, try r.get("sweep_id", as: Int64.self), try r.get("stage", as: String?.self), epochs)
        }
    }

    /// The heartbeat `e` (which reports `epoch`) in one transaction: the job's row locked, the
    /// rule applied to the other jobs of its sweep and stage at that epoch, then `prune` (and the
    /// dependents failed) or the heartbeat.
    func heartbeatUnderPruning(_ e: BatchedEvent, token: String, epoch: EpochReport,
                               candidate c: (rule: PruningRule, sweep: Int64, stage: String?, epochs: Int)) async throws -> Transition {
        try await transaction(durable: false) { tx in
            let locked = try await lockedLifecycles([e.job], tx)
            var event = e
            let value: Double? = switch c.rule.metric {
            case .valAcc: epoch.validationAccuracy
            case .trainAcc: epoch.trainAccuracy
            case .trainLoss: epoch.trainLoss
            }
            if locked[e.job]?.lease?.token == token, let value {
                // The column comes from the rule's closed set of metrics, never from input text.
                let column = c.rule.metric.column
                let others = try await tx.rows("""
                    SELECT ep.\(column) AS v FROM jobs j JOIN epochs ep ON ep.job_id = j.id AND ep.epoch = ?
                    WHERE j.sweep_id = ? AND j.stage IS NOT DISTINCT FROM ? AND j.id <> ? AND ep.\(column) IS NOT NULL
                    """, [epoch.epoch, c.sweep, c.stage, e.job]).map { try $0.get("v", as: Double.self) }
                if case .prune(let reason) = c.rule.decide(epoch: epoch.epoch, of: c.epochs, value: value, others: others) {
                    event = BatchedEvent(job: e.job, event: .prune(token: token, reason: reason), now: e.now, extra: e.extra, epochs: e.epochs)
                }
            }
            let tr = try await apply([event], to: locked, tx)[0].get()
            if tr.needsDependencyCheck { try await failOrphans(tx, now: e.now) }
            return tr
        }
    }
}
