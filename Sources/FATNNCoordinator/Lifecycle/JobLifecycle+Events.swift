import FATNNJobs

extension JobLifecycle {
    /// The state after `event` at `now`, and the effects the store must carry out with it.
    ///
    /// - Throws: ``LifecycleError/staleClaim`` when a worker's token is not the current claim;
    ///   ``LifecycleError/notAllowed(_:_:)`` for an event the state does not accept.
    public func applying(_ event: LifecycleEvent, at now: Double, timing: LifecycleTiming) throws(LifecycleError) -> Transition {
        var next = self
        switch event {
        case .claim(let token):
            guard isClaimable(at: now) else { throw .notAllowed(state, "claim") }
            next.attempts += 1
            next.phase = .leased(Lease(token: token, since: now, expiresAt: now + timing.leaseSeconds))
            return Transition(after: next, effects: [.openAttempt(next.attempts)])
        case .heartbeat(let token):
            var l = try requireClaim(token)
            l.expiresAt = now + timing.leaseSeconds
            next.phase = .leased(l)
            return Transition(after: next)
        case .succeed(let token):
            if case .succeeded(let accepted) = phase, accepted == token { return Transition(after: self, repeated: true) }
            _ = try requireClaim(token)
            next.phase = .succeeded(token: token)
            next.error = nil
            return Transition(after: next, effects: [.closeAttempt(attempts, .ok, error: nil)])
        case .prune(let token, let reason):
            _ = try requireClaim(token)
            next.phase = .pruned
            next.error = reason
            return Transition(after: next, effects: [.closeAttempt(attempts, .pruned, error: reason), .failDependents])
        case .jobError(let token, let message):
            _ = try requireClaim(token)
            return failedAttempt(.error, message: message, now: now, timing: timing)
        case .release(let token):
            let l = try requireClaim(token)
            if l.cancelRequested { return cancelledWhileRunning() }
            next.phase = .queued(notBefore: nil)
            return Transition(after: next, effects: [.closeAttempt(attempts, .released, error: nil), .checkParent])
        case .expire:
            guard let l = lease, l.expiresAt < now else { throw .notAllowed(state, "expire") }
            if l.cancelRequested { return cancelledWhileRunning() }
            return failedAttempt(.lost, message: "lease expired without a heartbeat (worker lost)", now: now, timing: timing)
        case .timeOut:
            guard let l = lease, l.since + timeoutSeconds < now else { throw .notAllowed(state, "time out") }
            return failedAttempt(.timeout, message: "ran past its timeout of \(Int(timeoutSeconds)) s", now: now, timing: timing)
        case .cancel:
            switch phase {
            case .queued:
                next.phase = .cancelled
                next.error = Self.cancelledMessage
                return Transition(after: next, effects: [.failDependents])
            case .leased(var l):
                l.cancelRequested = true
                next.phase = .leased(l)
                return Transition(after: next)
            case .cancelled:
                return Transition(after: self, repeated: true)
            case .succeeded, .failed, .dead, .pruned:
                throw .notAllowed(state, "cancel")
            }
        case .retry, .invalidate:
            if event == .retry {
                guard Self.retryableStates.contains(state) else { throw .notAllowed(state, "retry") }
            } else {
                guard case .succeeded = phase else { throw .notAllowed(state, "invalidate") }
            }
            next.phase = .queued(notBefore: nil)
            next.errorCount = 0
            next.lostCount = 0
            next.error = nil
            return Transition(after: next, effects: [.checkParent])
        case .parentEnded(let parent, let parentState):
            guard case .queued = phase, Self.unsuccessfulEnds.contains(parentState) else { throw .notAllowed(state, "fail with its parent") }
            next.phase = .failed
            next.error = Self.parentEndedMessage(parent: parent, state: parentState)
            return Transition(after: next, effects: [.failDependents])
        }
    }

    /// The error of a job cancelled by a user.
    static let cancelledMessage = "cancelled by a user"

    /// The error of a job failed because the job it starts from ended without success (the
    /// store's bulk SQL writes the same text).
    static func parentEndedMessage(parent: Int64, state: JobState) -> String {
        "the job it starts from (\(parent)) ended \(state.rawValue)"
    }

    private func requireClaim(_ token: String) throws(LifecycleError) -> Lease {
        guard let l = lease, l.token == token else { throw .staleClaim }
        return l
    }

    /// A running job whose cancel was requested ends: its worker gave it back or was lost.
    private func cancelledWhileRunning() -> Transition {
        var next = self
        next.phase = .cancelled
        next.error = Self.cancelledMessage
        return Transition(after: next, effects: [.closeAttempt(attempts, .cancelled, error: Self.cancelledMessage), .failDependents])
    }

    /// An attempt ended by a job error, timeout or lost worker: re-queue with backoff within the
    /// budget, else end the job.
    private func failedAttempt(_ outcome: AttemptOutcome, message: String, now: Double, timing: LifecycleTiming) -> Transition {
        var next = self
        next.error = message
        let retriesUsed: Int
        if outcome == .lost {
            next.lostCount += 1
            retriesUsed = next.lostCount
            if next.lostCount > maxLostRetries {
                next.phase = .dead
                next.error = "\(message); lost its worker \(next.lostCount) time(s), over the budget of \(maxLostRetries) retries"
                return Transition(after: next, effects: [.closeAttempt(attempts, outcome, error: next.error), .failDependents])
            }
        } else {
            next.errorCount += 1
            retriesUsed = next.errorCount
            if next.errorCount > maxErrorRetries {
                next.phase = .failed
                if maxErrorRetries > 0 { next.error = "\(message) (attempt failed \(next.errorCount) time(s), over the budget of \(maxErrorRetries) retries)" }
                return Transition(after: next, effects: [.closeAttempt(attempts, outcome, error: next.error), .failDependents])
            }
        }
        next.phase = .queued(notBefore: now + timing.backoff(retry: retriesUsed))
        return Transition(after: next, effects: [.closeAttempt(attempts, outcome, error: next.error), .checkParent])
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
    /// The sweep's pruning rule stops the job after an epoch its claiming worker reported; the
    /// reason is kept as the job's error.
    case prune(token: String, reason: String)
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
    /// The job this queued job starts from (its id) ended in an unsuccessful state: this one
    /// can never run, so it fails.
    case parentEnded(Int64, JobState)
}

/// What a store must do besides writing the job's new state.
public enum LifecycleEffect: Sendable, Equatable {
    /// Record attempt number `n` as started (by the claiming worker, now).
    case openAttempt(Int)
    /// Record how attempt number `n` ended, and its error.
    case closeAttempt(Int, AttemptOutcome, error: String?)
    /// The job ended without success: apply ``LifecycleEvent/parentEnded(_:_:)`` to every queued
    /// job that starts from it (and so on down chains of stages).
    case failDependents
    /// The job is queued again: if the job it starts from has ended without success, apply
    /// ``LifecycleEvent/parentEnded(_:_:)`` to it (a fine-tuning job released or re-queued
    /// after its parent was cancelled can never run).
    case checkParent
}

/// The result of applying an event.
public struct Transition: Equatable, Sendable {
    /// The job after the event.
    public var after: JobLifecycle
    /// What the store must do with it, in order.
    public var effects: [LifecycleEffect] = []
    /// The event repeated one already applied (a retried result, a second cancel): nothing changes.
    public var repeated = false

    /// Whether a new attempt began (a claim).
    public var started: Bool { effects.contains { if case .openAttempt = $0 { true } else { false } } }

    /// How the current attempt ended, if the event ended one.
    public var ended: AttemptOutcome? {
        for case .closeAttempt(_, let outcome, _) in effects { return outcome }
        return nil
    }

    /// Whether queued jobs that start from this one must now fail.
    public var failsDependents: Bool { effects.contains(.failDependents) }

    /// Whether the store must apply the dependency rule after it (``LifecycleEffect/failDependents``
    /// or ``LifecycleEffect/checkParent``): no queued job may start from a job that ended without
    /// success.
    public var needsDependencyCheck: Bool { failsDependents || effects.contains(.checkParent) }
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
