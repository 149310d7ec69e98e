import FATNNJobs

/// The lifecycle of one job as a value: its state, its current claim and its retry budgets,
/// with every transition as a pure function of an event and the time.
///
/// The store loads this from a job's row, applies an event, and writes the result back inside
/// one transaction, so the rules live here and are unit-tested without a database or a clock.
///
/// Budgets: job errors (a reported exception, invalid config, divergence, or running past the
/// timeout) and lost workers (a lease that expired without a result) are counted separately.
/// A job re-queued after either waits out an exponential backoff before it can be claimed again.
public struct JobLifecycle: Equatable, Sendable {
    public var state: JobState
    /// Claims made so far (attempts started).
    public var attempts: Int = 0
    /// Attempts ended by job errors or timeouts since the job was last (re)queued by a user.
    public var errorCount: Int = 0
    /// Attempts ended by lost workers since the job was last (re)queued by a user.
    public var lostCount: Int = 0
    /// Secret of the current claim, kept after success so a repeated result is recognised.
    public var claimToken: String?
    /// When the current attempt started.
    public var leasedAt: Double?
    /// When the current lease runs out unless a heartbeat extends it.
    public var leaseExpiresAt: Double?
    /// Earliest time the job may be claimed (backoff after a failed attempt).
    public var notBefore: Double?
    /// A user asked to cancel the running job; its worker is told on its next heartbeat.
    public var cancelRequested = false
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
        self.state = .queued
        self.maxErrorRetries = maxErrorRetries
        self.maxLostRetries = maxLostRetries
        self.timeoutSeconds = timeoutSeconds
    }

    /// Whether a worker may claim the job at `now`.
    public func isClaimable(at now: Double) -> Bool { state == .queued && (notBefore ?? now) <= now }

    /// The event the reaper must apply at `now`, if any: a running job whose lease has expired,
    /// or that has run past its timeout.
    public func overdueEvent(at now: Double) -> LifecycleEvent? {
        guard state == .leased else { return nil }
        if let expires = leaseExpiresAt, expires < now { return .expire }
        if let start = leasedAt, start + timeoutSeconds < now { return .timeOut }
        return nil
    }

    /// The state after `event` at `now`.
    ///
    /// - Throws: ``LifecycleError/staleClaim`` when a worker's token is not the current claim;
    ///   ``LifecycleError/notAllowed(_:_:)`` for an event the state does not accept.
    public func applying(_ event: LifecycleEvent, at now: Double, timing: LifecycleTiming) throws(LifecycleError) -> Transition {
        var next = self
        switch event {
        case .claim(let token):
            guard isClaimable(at: now) else { throw .notAllowed(state, "claim") }
            next.state = .leased
            next.attempts += 1
            next.claimToken = token
            next.leasedAt = now
            next.leaseExpiresAt = now + timing.leaseSeconds
            next.notBefore = nil
            next.cancelRequested = false
            return Transition(after: next, started: true)
        case .heartbeat(let token):
            try requireClaim(token)
            next.leaseExpiresAt = now + timing.leaseSeconds
            return Transition(after: next)
        case .succeed(let token):
            if state == .succeeded, claimToken == token { return Transition(after: self, repeated: true) }
            try requireClaim(token)
            next.endAttempt()
            next.state = .succeeded
            next.error = nil
            return Transition(after: next, ended: .ok)
        case .jobError(let token, let message):
            try requireClaim(token)
            return next.failedAttempt(.error, message: message, now: now, timing: timing)
        case .release(let token):
            try requireClaim(token)
            next.endAttempt()
            next.claimToken = nil
            if cancelRequested {
                next.state = .cancelled
                next.error = "cancelled by a user"
                return Transition(after: next, ended: .cancelled)
            }
            next.state = .queued
            return Transition(after: next, ended: .released)
        case .expire:
            guard state == .leased, let expires = leaseExpiresAt, expires < now else { throw .notAllowed(state, "expire") }
            if cancelRequested {
                next.endAttempt()
                next.claimToken = nil
                next.state = .cancelled
                next.error = "cancelled by a user"
                return Transition(after: next, ended: .cancelled)
            }
            return next.failedAttempt(.lost, message: "lease expired without a heartbeat (worker lost)", now: now, timing: timing)
        case .timeOut:
            guard state == .leased, let start = leasedAt, start + timeoutSeconds < now else { throw .notAllowed(state, "time out") }
            return next.failedAttempt(.timeout, message: "ran past its timeout of \(Int(timeoutSeconds)) s", now: now, timing: timing)
        case .cancel:
            switch state {
            case .queued:
                next.state = .cancelled
                next.error = "cancelled by a user"
                return Transition(after: next)
            case .leased:
                next.cancelRequested = true
                return Transition(after: next)
            case .cancelled:
                return Transition(after: self, repeated: true)
            case .succeeded, .failed, .dead:
                throw .notAllowed(state, "cancel")
            }
        case .retry, .invalidate:
            if event == .retry {
                guard state == .failed || state == .dead || state == .cancelled else { throw .notAllowed(state, "retry") }
            } else {
                guard state == .succeeded else { throw .notAllowed(state, "invalidate") }
            }
            next.state = .queued
            next.errorCount = 0
            next.lostCount = 0
            next.error = nil
            next.notBefore = nil
            next.claimToken = nil
            next.cancelRequested = false
            return Transition(after: next)
        }
    }

    private func requireClaim(_ token: String) throws(LifecycleError) {
        guard state == .leased, claimToken == token else { throw .staleClaim }
    }

    private mutating func endAttempt() {
        leasedAt = nil
        leaseExpiresAt = nil
        cancelRequested = false
    }

    /// An attempt ended by a job error, timeout or lost worker: re-queue with backoff within the
    /// budget, else end the job.
    private func failedAttempt(_ outcome: AttemptOutcome, message: String, now: Double, timing: LifecycleTiming) -> Transition {
        var next = self
        next.endAttempt()
        next.claimToken = nil
        next.error = message
        let retriesUsed: Int
        if outcome == .lost {
            next.lostCount += 1
            retriesUsed = next.lostCount
            if next.lostCount > maxLostRetries {
                next.state = .dead
                next.error = "\(message); lost its worker \(next.lostCount) time(s), over the budget of \(maxLostRetries) retries"
                return Transition(after: next, ended: outcome)
            }
        } else {
            next.errorCount += 1
            retriesUsed = next.errorCount
            if next.errorCount > maxErrorRetries {
                next.state = .failed
                if maxErrorRetries > 0 { next.error = "\(message) (attempt failed \(next.errorCount) time(s), over the budget of \(maxErrorRetries) retries)" }
                return Transition(after: next, ended: outcome)
            }
        }
        next.state = .queued
        next.notBefore = now + timing.backoff(retry: retriesUsed)
        return Transition(after: next, ended: outcome)
    }
}

/// Something that happens to a job.
public enum LifecycleEvent: Sendable, Equatable {
    /// A worker claims the job with a fresh secret token.
    case claim(token: String)
    /// The claiming worker is alive (extends the lease).
    case heartbeat(token: String)
    /// The claiming worker's result was accepted.
    case succeed(token: String)
    /// The claiming worker reports a job error.
    case jobError(token: String, message: String)
    /// The claiming worker gives the job back unrun (not charged to any budget).
    case release(token: String)
    /// The lease ran out (the reaper found it).
    case expire
    /// The attempt ran past the job's timeout (the reaper found it).
    case timeOut
    /// A user cancels the job.
    case cancel
    /// A user re-queues an ended job with fresh budgets.
    case retry
    /// An administrator refuses a succeeded job's result: the job is queued again with fresh
    /// budgets (the store keeps the old result in the attempt's history).
    case invalidate
}

/// The result of applying an event.
public struct Transition: Equatable, Sendable {
    /// The job after the event.
    public var after: JobLifecycle
    /// A new attempt began (a claim).
    public var started = false
    /// How the current attempt ended, if the event ended one.
    public var ended: AttemptOutcome?
    /// The event repeated one already applied (a retried result, a second cancel): nothing changes.
    public var repeated = false
}

/// Lease and backoff timing, fixed per coordinator.
public struct LifecycleTiming: Sendable, Equatable {
    /// How long a claim lasts without a heartbeat, seconds.
    public var leaseSeconds: Double
    /// Wait before the first re-run of a failed attempt, seconds; doubled per further retry.
    public var backoffSeconds: Double
    /// Longest backoff, seconds.
    public var maxBackoffSeconds: Double

    public init(leaseSeconds: Double = 120, backoffSeconds: Double = 5, maxBackoffSeconds: Double = 600) {
        self.leaseSeconds = leaseSeconds
        self.backoffSeconds = backoffSeconds
        self.maxBackoffSeconds = maxBackoffSeconds
    }

    /// The wait before retry number `retry` (1 for the first).
    public func backoff(retry: Int) -> Double {
        min(maxBackoffSeconds, backoffSeconds * Double(1 << min(max(retry - 1, 0), 30)))
    }
}

/// An event the lifecycle refuses.
public enum LifecycleError: Error, Equatable, Sendable {
    /// The token is not the job's current claim: the caller must abandon its attempt.
    case staleClaim
    /// The event is not allowed in the job's state.
    case notAllowed(JobState, String)
}
