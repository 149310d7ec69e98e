@testable import FATNNCoordinator
import FATNNJobs
import Testing

/// The lifecycle rules as a pure value: no database, the clock is an argument.
@Suite struct JobLifecycleTests {
    let timing = LifecycleTiming(leaseSeconds: 10, backoffSeconds: 2, maxBackoffSeconds: 5)

    func claimed(_ l: JobLifecycle = JobLifecycle(maxErrorRetries: 1, maxLostRetries: 2, timeoutSeconds: 100),
                 token: String = "t1", at t: Double = 0) throws -> JobLifecycle {
        try l.applying(.claim(token: token), at: t, timing: timing).after
    }

    @Test func claimLeasesAndHeartbeatsExtend() throws {
        let q = JobLifecycle()
        #expect(q.isClaimable(at: 0))
        let tr = try q.applying(.claim(token: "t1"), at: 5, timing: timing)
        #expect(tr.started && tr.after.state == .leased && tr.after.attempts == 1)
        #expect(tr.after.leaseExpiresAt == 15 && tr.after.leasedAt == 5 && tr.after.claimToken == "t1")
        #expect(throws: LifecycleError.notAllowed(.leased, "claim")) { try tr.after.applying(.claim(token: "t2"), at: 6, timing: timing) }
        let hb = try tr.after.applying(.heartbeat(token: "t1"), at: 12, timing: timing)
        #expect(hb.after.leaseExpiresAt == 22 && hb.ended == nil)
        #expect(throws: LifecycleError.staleClaim) { try tr.after.applying(.heartbeat(token: "other"), at: 12, timing: timing) }
    }

    @Test func resultIsAcceptedOnceAndRepeatsAreNoOps() throws {
        let l = try claimed()
        let ok = try l.applying(.succeed(token: "t1"), at: 3, timing: timing)
        #expect(ok.after.state == .succeeded && ok.ended == .ok && !ok.repeated)
        let again = try ok.after.applying(.succeed(token: "t1"), at: 4, timing: timing)
        #expect(again.repeated && again.after == ok.after)
        #expect(throws: LifecycleError.staleClaim) { try ok.after.applying(.succeed(token: "t2"), at: 4, timing: timing) }
        #expect(throws: LifecycleError.staleClaim) { try ok.after.applying(.heartbeat(token: "t1"), at: 4, timing: timing) }
    }

    @Test func jobErrorsRetryWithBackoffThenFail() throws {
        let e1 = try claimed().applying(.jobError(token: "t1", message: "boom"), at: 3, timing: timing)
        #expect(e1.ended == .error && e1.after.state == .queued && e1.after.errorCount == 1 && e1.after.claimToken == nil)
        #expect(e1.after.notBefore == 5, "first backoff is 2 s")
        #expect(!e1.after.isClaimable(at: 4) && e1.after.isClaimable(at: 5))
        let e2 = try claimed(e1.after, token: "t2", at: 6).applying(.jobError(token: "t2", message: "boom"), at: 7, timing: timing)
        #expect(e2.after.state == .failed && e2.after.errorCount == 2 && e2.ended == .error)
        #expect(e2.after.error?.hasPrefix("boom") == true && e2.after.error?.contains("budget of 1") == true)
    }

    @Test func lostWorkersHaveTheirOwnBudgetAndEndDead() throws {
        var l = try claimed()
        #expect(l.overdueEvent(at: 10) == nil && l.overdueEvent(at: 10.5) == .expire)
        #expect(throws: LifecycleError.notAllowed(.leased, "expire")) { try l.applying(.expire, at: 9, timing: timing) }
        for (i, backoff) in [(1, 2.0), (2, 4.0)] {
            let tr = try l.applying(.expire, at: 100 * Double(i), timing: timing)
            #expect(tr.ended == .lost && tr.after.state == .queued && tr.after.lostCount == i && tr.after.errorCount == 0)
            #expect(tr.after.notBefore == 100 * Double(i) + backoff)
            l = try claimed(tr.after, token: "t\(i + 1)", at: 100 * Double(i) + 50)
        }
        let dead = try l.applying(.expire, at: 1000, timing: timing)
        #expect(dead.after.state == .dead && dead.ended == .lost && dead.after.error?.contains("lost its worker 3 time(s)") == true)
    }

    @Test func backoffDoublesUpToTheCap() {
        #expect([1, 2, 3, 4, 40].map { timing.backoff(retry: $0) } == [2, 4, 5, 5, 5])
    }

    @Test func timeoutCountsAsAJobError() throws {
        let l = try claimed(JobLifecycle(maxErrorRetries: 0, maxLostRetries: 5, timeoutSeconds: 30))
        // Heartbeats keep the lease, but not past the timeout.
        var kept = l
        for t in stride(from: 5.0, through: 30, by: 5) { kept = try kept.applying(.heartbeat(token: "t1"), at: t, timing: timing).after }
        #expect(kept.overdueEvent(at: 30) == nil && kept.overdueEvent(at: 31) == .timeOut)
        let tr = try kept.applying(.timeOut, at: 31, timing: timing)
        #expect(tr.after.state == .failed && tr.ended == .timeout && tr.after.error?.contains("timeout of 30 s") == true)
    }

    @Test func releaseIsFreeAndCancelEndsViaReleaseOrExpiry() throws {
        let r = try claimed().applying(.release(token: "t1"), at: 2, timing: timing)
        #expect(r.after.state == .queued && r.ended == .released && r.after.errorCount == 0 && r.after.lostCount == 0)
        #expect(r.after.isClaimable(at: 2), "no backoff after a release")

        let q = try JobLifecycle().applying(.cancel, at: 0, timing: timing)
        #expect(q.after.state == .cancelled && q.ended == nil)
        #expect(try q.after.applying(.cancel, at: 1, timing: timing).repeated)

        let asked = try claimed().applying(.cancel, at: 1, timing: timing)
        #expect(asked.after.state == .leased && asked.after.cancelRequested)
        let released = try asked.after.applying(.release(token: "t1"), at: 2, timing: timing)
        #expect(released.after.state == .cancelled && released.ended == .cancelled)
        let expired = try asked.after.applying(.expire, at: 20, timing: timing)
        #expect(expired.after.state == .cancelled && expired.ended == .cancelled && expired.after.lostCount == 0)
        // A result that arrives before the worker hears of the cancel is still accepted.
        #expect(try asked.after.applying(.succeed(token: "t1"), at: 2, timing: timing).after.state == .succeeded)

        let done = try claimed().applying(.succeed(token: "t1"), at: 1, timing: timing).after
        #expect(throws: LifecycleError.notAllowed(.succeeded, "cancel")) { try done.applying(.cancel, at: 2, timing: timing) }
    }

    @Test func retryRequeuesEndedJobsWithFreshBudgets() throws {
        let failed = try claimed(JobLifecycle(maxErrorRetries: 0, maxLostRetries: 0, timeoutSeconds: 100))
            .applying(.jobError(token: "t1", message: "x"), at: 1, timing: timing).after
        let again = try failed.applying(.retry, at: 2, timing: timing).after
        #expect(again.state == .queued && again.errorCount == 0 && again.error == nil && again.isClaimable(at: 2) && again.attempts == 1)
        let leased = try claimed()
        #expect(throws: LifecycleError.notAllowed(.leased, "retry")) { try leased.applying(.retry, at: 1, timing: timing) }
        #expect(throws: LifecycleError.notAllowed(.queued, "retry")) { try JobLifecycle().applying(.retry, at: 1, timing: timing) }
    }

    /// Each transition lists what the store must do besides writing the new state.
    @Test func effectsTellTheStoreWhatToDo() throws {
        let c = try JobLifecycle(maxErrorRetries: 0, maxLostRetries: 0, timeoutSeconds: 100).applying(.claim(token: "t1"), at: 0, timing: timing)
        #expect(c.effects == [.openAttempt(1)] && c.started)
        let f = try c.after.applying(.jobError(token: "t1", message: "x"), at: 1, timing: timing)
        #expect(f.effects == [.closeAttempt(1, .error, error: "x"), .failDependents] && f.after.state == .failed && f.failsDependents)
        let lost = try c.after.applying(.expire, at: 61, timing: timing)
        #expect(lost.after.state == .dead && lost.failsDependents && lost.ended == .lost)
        let released = try c.after.applying(.release(token: "t1"), at: 1, timing: timing)
        #expect(released.effects == [.closeAttempt(1, .released, error: nil), .checkParent])
        let ok = try c.after.applying(.succeed(token: "t1"), at: 1, timing: timing)
        #expect(ok.effects == [.closeAttempt(1, .ok, error: nil)] && !ok.failsDependents)
        // Within the budget the job waits out its backoff, and its dependents keep waiting; a job
        // queued again must fail if the job it starts from has ended without success meanwhile.
        let retried = try claimed().applying(.jobError(token: "t1", message: "y"), at: 1, timing: timing)
        #expect(retried.effects == [.closeAttempt(1, .error, error: "y"), .checkParent] && retried.after.state == .queued)
        #expect(try f.after.applying(.retry, at: 2, timing: timing).effects == [.checkParent])
    }

    @Test func aQueuedJobFailsWithItsParent() throws {
        let child = try JobLifecycle().applying(.parentEnded(7, .dead), at: 2, timing: timing)
        #expect(child.after.state == .failed && child.after.error == "the job it starts from (7) ended dead")
        #expect(child.effects == [.failDependents], "down chains of stages")
        #expect(throws: LifecycleError.notAllowed(.leased, "fail with its parent")) {
            try claimed().applying(.parentEnded(7, .failed), at: 2, timing: timing)
        }
        #expect(throws: LifecycleError.notAllowed(.queued, "fail with its parent")) {
            try JobLifecycle().applying(.parentEnded(7, .succeeded), at: 2, timing: timing)
        }
    }

    /// A state's data exists only in that state: no lease on a queued job, no backoff on a
    /// leased one, the accepted claim's token on a succeeded one.
    @Test func phasesCarryOnlyTheirData() throws {
        let backoff = try claimed().applying(.jobError(token: "t1", message: "z"), at: 3, timing: timing).after
        #expect(backoff.phase == .queued(notBefore: 5) && backoff.lease == nil && backoff.claimToken == nil && !backoff.cancelRequested)
        let again = try claimed(backoff, token: "t2", at: 6)
        #expect(again.phase == .leased(.init(token: "t2", since: 6, expiresAt: 16)) && again.notBefore == nil)
        let done = try again.applying(.succeed(token: "t2"), at: 7, timing: timing).after
        #expect(done.phase == .succeeded(token: "t2") && done.leasedAt == nil && done.leaseExpiresAt == nil)
        #expect(try done.applying(.invalidate, at: 8, timing: timing).after.phase == .queued(notBefore: nil))
    }
}
