@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import Testing

/// The lifecycle through the SQLite store: attempts, budgets, cancel, retry, pause, priorities,
/// replicas, timeouts, restart grace and metrics.
@Suite struct JobStoreLifecycleTests {
    let clock = TestClock()
    let store: JobStore

    init() throws { store = try clock.store() }

    func sweep(_ name: String, _ extra: String = "", seeds: [Int] = [1]) throws -> Sweep {
        try Sweep.parse(Data("""
            { "name": "\(name)", \(extra) "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1} },
              "seeds": [\(seeds.map(String.init).joined(separator: ","))] }
            """.utf8))
    }

    @Test func lostWorkersAreRecordedAndEndDeadOverBudget() throws {
        _ = try store.submit(try sweep("s", #""retries": {"lostWorkers": 1},"#), document: "{}")
        let a = try #require(try store.claim(worker: "w1", host: "h1"))
        clock.advance(61)
        #expect(try store.reap() == 1)
        let b = try #require(try store.claim(worker: "w2", host: "h2"))
        #expect(b.id == a.id && b.attempt == 2)
        clock.advance(61)
        #expect(try store.reap() == 1)
        #expect(try store.counts()["dead"] == 1)
        let attempts = try store.attempts(job: a.id)
        #expect(attempts.map(\.outcome) == [.lost, .lost] && attempts.map(\.worker) == ["w1", "w2"] && attempts.map(\.host) == ["h1", "h2"])
        #expect(try store.claim(worker: "w3", host: "h") == nil)
        #expect(try store.retry(states: [.dead]) == [a.id])
        let c = try #require(try store.claim(worker: "w3", host: "h"))
        try store.complete(job: c.id, token: c.claimToken, result: sampleResult(0.8))
        #expect(try store.attempts(job: a.id).map(\.outcome) == [.lost, .lost, .ok])
    }

    @Test func resultIsIdempotentAndStoredOnce() throws {
        _ = try store.submit(try sweep("s"), document: "{}")
        let a = try #require(try store.claim(worker: "w", host: "h"))
        try store.complete(job: a.id, token: a.claimToken, result: sampleResult(0.8))
        try store.complete(job: a.id, token: a.claimToken, result: sampleResult(0.8))
        let n = try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM results") }
        #expect(n == 1)
        #expect(try store.attempts(job: a.id).map(\.outcome) == [.ok])
    }

    @Test func cancelQueuedAtOnceAndRunningThroughTheHeartbeat() throws {
        _ = try store.submit(try sweep("s", seeds: [1, 2, 3]), document: "{}")
        let a = try #require(try store.claim(worker: "w", host: "h"))
        #expect(try store.heartbeat(job: a.id, token: a.claimToken, epoch: nil).cancel == false)
        let ids = try store.cancel(sweep: "s")
        #expect(ids.count == 3)
        #expect(try store.counts()["cancelled"] == 2 && (try store.counts())["leased"] == 1)
        #expect(try store.heartbeat(job: a.id, token: a.claimToken, epoch: nil).cancel == true)
        try store.release(job: a.id, token: a.claimToken)
        #expect(try store.counts()["cancelled"] == 3)
        #expect(try store.attempts(job: a.id).map(\.outcome) == [.cancelled])
        #expect(try store.cancel(jobs: [a.id]) == [], "cancelling again changes nothing")
        #expect(throws: StoreError.staleClaim(a.id)) { try store.complete(job: a.id, token: a.claimToken, result: sampleResult(0.5)) }
        #expect(try store.retry(states: [.cancelled], sweep: "s").count == 3)
        #expect(try store.counts()["queued"] == 3)
        #expect(throws: StoreError.jobNotFound(999)) { _ = try store.cancel(jobs: [999]) }
        #expect(throws: StoreError.sweepNotFound("nope")) { _ = try store.cancel(sweep: "nope") }
    }

    @Test func retryRefusesStatesThatCannotBeRetried() throws {
        #expect(throws: StoreError.self) { _ = try store.retry(states: [.succeeded]) }
    }

    @Test func pausedSweepsAreSkippedAndPrioritiesOrderClaims() throws {
        _ = try store.submit(try sweep("low", seeds: [1, 2]), document: "{}")
        _ = try store.submit(try sweep("high", #""priority": 10,"#, seeds: [3]), document: "{}")
        try store.setPaused(sweep: "high", true)
        let first = try #require(try store.claim(worker: "w", host: "h"))
        #expect(first.config.seed == 1, "the paused sweep's job is skipped")
        try store.setPaused(sweep: "high", false)
        let second = try #require(try store.claim(worker: "w", host: "h"))
        #expect(second.config.seed == 3, "higher priority first")
        #expect(throws: StoreError.sweepNotFound("x")) { try store.setPaused(sweep: "x", true) }
    }

    @Test func submitTwiceAddsNothingAndReplicateAddsCopies() throws {
        let s = try sweep("s", seeds: [1, 2])
        #expect(try store.submit(s, document: "{}").added == 2)
        let again = try store.submit(s, document: "{}")
        #expect(again.added == 0 && again.duplicates == 2)
        let copies = try store.submit(s, document: "{}", replicate: 2)
        #expect(copies.added == 4 && copies.duplicates == 0)
        let replicas = try store.pool.read { try Int.fetchAll($0, sql: "SELECT replica FROM jobs ORDER BY config_hash, replica") }
        #expect(replicas == [0, 1, 2, 0, 1, 2])
        let groups = try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(DISTINCT group_hash) FROM jobs") }
        #expect(groups == 1, "seeds and replicas share one group")
    }

    @Test func timeoutFailsAJobThatKeepsHeartbeating() throws {
        _ = try store.submit(try sweep("s", #""timeoutSeconds": 100, "retries": {"errors": 0},"#), document: "{}")
        let a = try #require(try store.claim(worker: "w", host: "h"))
        for _ in 0..<5 {
            clock.advance(25)
            _ = try? store.heartbeat(job: a.id, token: a.claimToken, epoch: nil)
            _ = try store.reap()
        }
        #expect(try store.counts()["failed"] == 1)
        #expect(try store.attempts(job: a.id).map(\.outcome) == [.timeout])
        #expect(try store.error(job: a.id)?.contains("timeout of 100 s") == true)
    }

    @Test func restartGraceKeepsLeasesOfWorkersThatCouldNotReachUs() throws {
        _ = try store.submit(try sweep("s"), document: "{}")
        let a = try #require(try store.claim(worker: "w", host: "h"))
        clock.advance(59)
        #expect(try store.extendLeases(grace: 30) == 1)
        clock.advance(20)
        #expect(try store.reap() == 0)
        try store.heartbeat(job: a.id, token: a.claimToken, epoch: nil)
        #expect(try store.counts()["leased"] == 1)
    }

    @Test func metricsCountStatesAndOutcomes() throws {
        _ = try store.submit(try sweep("s", seeds: [1, 2]), document: "{}")
        let a = try #require(try store.claim(worker: "w", host: "h"))
        try store.complete(job: a.id, token: a.claimToken, result: sampleResult(0.8))
        let m = try store.metrics()
        #expect(m.jobs[.succeeded] == 1 && m.jobs[.queued] == 1 && m.attempts[.ok] == 1 && m.pausedSweeps == 0)
        let text = PrometheusText.render(m)
        #expect(text.contains("fatnn_jobs{state=\"queued\"} 1\n") && text.contains("fatnn_completions_total 1\n"))
        #expect(text.contains("fatnn_queue_depth 1\n") && text.contains("fatnn_leases 0\n"))
    }

    @Test func integrityCheckIsOK() throws {
        #expect(try store.integrityCheck() == "ok")
    }
}
