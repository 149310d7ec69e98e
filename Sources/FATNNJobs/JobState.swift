/// Where a job is in its life.
///
/// ```
/// queued ──claim──▶ leased ──result──▶ succeeded
///   ▲                 │ ├─error, over budget──▶ failed
///   └─error/lost,─────┘ ├─lost, over budget───▶ dead
///     within budget     ├─cancel──────────────▶ cancelled  (queued jobs too)
///                       └─pruned at an epoch──▶ pruned     (the sweep's early stopping)
/// ```
/// `retry` puts failed, dead, cancelled and pruned jobs back in the queue with fresh budgets.
public enum JobState: String, Codable, Sendable, CaseIterable {
    /// Waiting for a worker.
    case queued
    /// Claimed by a worker whose lease has not expired.
    case leased
    /// Finished with an accepted result.
    case succeeded
    /// Ended by job errors (exception, invalid config, divergence, timeout) past its retry budget.
    case failed
    /// Ended because its workers were lost (lease expired without a result) past its retry budget.
    case dead
    /// Cancelled by a user.
    case cancelled
    /// Stopped early by its sweep's pruning rule after an epoch; its epochs are kept, it has no result.
    case pruned

    /// Whether the job has ended (no worker will run it unless it is retried).
    public var isFinal: Bool { self != .queued && self != .leased }
}

/// How one attempt at a job (one claim) ended; recorded in the coordinator's `attempts` table.
public enum AttemptOutcome: String, Codable, Sendable, CaseIterable {
    /// Still running.
    case running
    /// Its result was accepted.
    case ok
    /// The worker reported a job error.
    case error
    /// The lease expired without a heartbeat: the worker died, hung or lost the network.
    case lost
    /// The job ran past its timeout.
    case timeout
    /// The worker gave the job back unrun (its host cannot run it, or it was shutting down).
    case released
    /// A user cancelled the job while this attempt ran.
    case cancelled
    /// The sweep's pruning rule stopped the job after an epoch this attempt reported.
    case pruned
}
