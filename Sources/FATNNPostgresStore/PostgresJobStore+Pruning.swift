import FATNNCoordinator
import FATNNJobs

/// Early stopping: a heartbeat that reports an epoch at which its job's pruning rule may decide
/// goes through a transaction of its own instead of the heartbeat batch.
extension PostgresJobStore {
    /// The rule, sweep, stage, length of job `id` and the epoch its report of `epoch` is judged
    /// at, when its rule decides there (``PruningRule/decisionEpoch(reported:previous:of:)``).
    func pruningCandidate(job id: Int64, epoch: EpochReport) async throws -> Candidate? {
        try await read { tx in
            guard let r = try await tx.row("SELECT pruning, stage, sweep_id, epochs, last_epoch FROM jobs WHERE id = ?", [id]),
                  let json = try r.get("pruning", as: String?.self), let rule = PruningRule(json: json) else { return nil }
            let epochs = try r.get("epochs", as: Int.self)
            guard let at = rule.decisionEpoch(reported: epoch.epoch, previous: try r.get("last_epoch", as: Int?.self) ?? 0, of: epochs) else { return nil }
            return Candidate(rule: rule, sweep: try r.get("sweep_id", as: Int64.self), stage: try r.get("stage", as: String?.self),
                             epochs: epochs, at: at)
        }
    }

    struct Candidate: Sendable {
        let rule: PruningRule, sweep: Int64, stage: String?, epochs: Int
        /// The epoch the report is judged at.
        let at: Int
    }

    /// The heartbeat `e` (which reports `epoch`) in one transaction: the job's row locked, the
    /// rule applied to the other jobs of its sweep and stage at that epoch, then `prune` (and the
    /// dependents failed) or the heartbeat.
    func heartbeatUnderPruning(_ e: BatchedEvent, token: String, epoch: EpochReport, candidate c: Candidate) async throws -> Transition {
        try await transaction(durable: false) { tx in
            // Decisions of one sweep and stage one at a time (as SQLite's single writer makes
            // them), so that two jobs at a rung together see each other: a transaction-scoped
            // advisory lock on (sweep, stage), taken before the row lock (two-key locks are
            // apart from the migration's one-key lock).
            try await tx.execute("SELECT pg_advisory_xact_lock(CAST(? % 2147483647 AS integer), hashtext(coalesce(CAST(? AS text), '')))",
                                 [c.sweep, c.stage])
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
                    """, [c.at, c.sweep, c.stage, e.job]).map { try $0.get("v", as: Double.self) }
                if case .prune(let reason) = c.rule.decide(epoch: c.at, of: c.epochs, value: value, others: others) {
                    event = BatchedEvent(job: e.job, event: .prune(token: token, reason: reason), now: e.now, extra: e.extra, epochs: e.epochs)
                }
            }
            let tr = try await apply([event], to: locked, tx)[0].get()
            // The dependency rule scans every ended job: only when this one has queued children.
            if tr.needsDependencyCheck, try await tx.row(JobsSQL.hasQueuedChildren, [e.job]) != nil { try await failOrphans(tx, now: e.now) }
            return tr
        }
    }
}
