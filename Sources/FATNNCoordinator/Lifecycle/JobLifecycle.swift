import FATNNJobs

/// The lifecycle of one job as a value: where it is (``Phase``, with the data only that state
/// has), its retry budgets, and every transition as a pure function of an event and the time
/// (`JobLifecycle+Events.swift`).
///
/// This is the rulebook every store implements: a store loads the value from a job's row,
/// applies an event, writes the result back and carries out the transition's
/// ``LifecycleEffect``s, inside one transaction. The SQL a store needs for its bulk steps
/// (which jobs are claimable, which are overdue, which may be retried) is written next to the
/// rule it implements (`JobLifecycle+SQL.swift`), and a parity test runs the SQLite store and
/// this value side by side on the same events.
///
/// Budgets: job errors (a reported exception, invalid config, divergence, or running past the
/// timeout) and lost workers (a lease that expired without a result) are counted separately.
/// A job re-queued after either waits out an exponential backoff before it can be claimed again.
public struct JobLifecycle: Equatable, Sendable {
    /// Where a job is, with what only that state has.
    public enum Phase: Equatable, Sendable {
        /// Waiting for a worker; not claimable before `notBefore` (a backoff), if set.
        case queued(notBefore: Double?)
        /// Claimed by a worker.
        case leased(Lease)
        /// Finished with an accepted result; the token of the claim that delivered it (so a
        /// repeated result is recognised), nil for rows written without one.
        case succeeded(token: String?)
        /// Ended by job errors past its budget (or its parent ended without success).
        case failed
        /// Ended by lost workers past its budget.
        case dead
        /// Cancelled by a user.
        case cancelled
        /// Stopped by its sweep's pruning rule after an epoch.
        case pruned
    }

    /// The current claim of a leased job.
    public struct Lease: Equatable, Sendable {
        /// Secret the claiming worker proves itself with.
        public var token: String
        /// When the attempt started.
        public var since: Double
        /// When the lease runs out unless a heartbeat extends it.
        public var expiresAt: Double
        /// A user asked to cancel; the worker is told on its next heartbeat.
        public var cancelRequested = false

        public init(token: String, since: Double, expiresAt: Double, cancelRequested: Bool = false) {
            self.token = token; self.since = since; self.expiresAt = expiresAt; self.cancelRequested = cancelRequested
        }
    }

    public var phase: Phase
    /// Claims made so far (attempts started).
    public var attempts: Int = 0
    /// Attempts ended by job errors or timeouts since the job was last (re)queued by a user.
    public var errorCount: Int = 0
    /// Attempts ended by lost workers since the job was last (re)queued by a user.
    public var lostCount: Int = 0
    /// Why the last attempt failed, or why the job ended.
    public var error: String?
    /// Re-runs allowed after job errors before the job fails.
    public var maxErrorRetries: Int
    /// Re-runs allowed after lost workers before the job is dead.
    public var maxLostRetries: Int
    /// Longest an attempt may run, seconds.
    public var timeoutSeconds: Double

    /// A new queued job with the given budgets.
    public init(maxErrorRetries: Int = SweepPolicy.defaultErrorRetries, maxLostRetries: Int = SweepPolicy.defaultLostRetries,
                timeoutSeconds: Double = SweepPolicy.defaultTimeoutSeconds) {
        self.phase = .queued(notBefore: nil)
        self.maxErrorRetries = maxErrorRetries
        self.maxLostRetries = maxLostRetries
        self.timeoutSeconds = timeoutSeconds
    }

    /// The state's name, as stored and shown.
    public var state: JobState {
        switch phase {
        case .queued: .queued
        case .leased: .leased
        case .succeeded: .succeeded
        case .failed: .failed
        case .dead: .dead
        case .cancelled: .cancelled
        case .pruned: .pruned
        }
    }

    /// The current claim, if leased.
    public var lease: Lease? { if case .leased(let l) = phase { l } else { nil } }

    /// The token of the current claim, or of the claim whose result was accepted.
    public var claimToken: String? {
        switch phase {
        case .leased(let l): l.token
        case .succeeded(let token): token
        default: nil
        }
    }

    /// When the current attempt started (leased jobs).
    public var leasedAt: Double? { lease?.since }
    /// When the current lease runs out (leased jobs).
    public var leaseExpiresAt: Double? { lease?.expiresAt }
    /// Earliest time a queued job may be claimed.
    public var notBefore: Double? { if case .queued(let t) = phase { t } else { nil } }
    /// Whether a user asked to cancel the running job.
    public var cancelRequested: Bool { lease?.cancelRequested ?? false }

    /// Whether a worker may claim the job at `now` (``claimableSQL(_:)`` is the same rule).
    public func isClaimable(at now: Double) -> Bool {
        if case .queued(let notBefore) = phase { return (notBefore ?? now) <= now }
        return false
    }

    /// The event the reaper must apply at `now`, if any: a running job whose lease has expired,
    /// or that has run past its timeout (``overdueSQL(_:)`` selects the same jobs).
    public func overdueEvent(at now: Double) -> LifecycleEvent? {
        guard let l = lease else { return nil }
        if l.expiresAt < now { return .expire }
        if l.since + timeoutSeconds < now { return .timeOut }
        return nil
    }

    /// The states a user's `retry` re-queues (``LifecycleEvent/retry``).
    public static let retryableStates: [JobState] = [.failed, .dead, .cancelled, .pruned]

    /// The states that end a job without success: queued jobs that start from such a job fail
    /// (``LifecycleEvent/parentEnded(_:_:)``).
    public static let unsuccessfulEnds: [JobState] = [.failed, .dead, .cancelled, .pruned]
}
