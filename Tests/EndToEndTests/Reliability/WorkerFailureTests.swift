import FATNNClient
import FATNNJobs
import Foundation
import Testing

/// Workers that die, hang, are stopped or are told to cancel: real processes, real SQLite file,
/// real HTTP, real (small) training on Fashion-MNIST.
@Suite(.serialized, .enabled(if: ProcessHarness.binDir != nil, "needs the built fatnn-coord and fatnn-worker"))
struct WorkerFailureTests {
    /// 1. kill -9 a worker mid-job → lease expires → the job is re-run → exactly one accepted
    /// result; the attempts show `lost` then `ok`.
    @Test func killedWorkersJobIsRerunAndAcceptedOnce() async throws {
        let h = try ProcessHarness("kill9")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 2)
        _ = try await h.submit(jobs: 1, epochs: 12, trainLimit: 500)
        try h.startWorker("a", slowEpochs: 0.3)
        let c = try h.client()
        try await waitUntil("worker a finished an epoch", timeout: 120) { ((try? await c.job(1))?.epochs.count ?? 0) >= 1 }
        h.signal("a", SIGKILL)
        try h.startWorker("b", slowEpochs: 0.3)
        try await waitUntil("the job succeeded", timeout: 180) { (try? await c.job(1))?.row.state == .succeeded }
        h.signal("b", SIGTERM)
        #expect(try await h.waitForWorker("b") == 0)
        let d = try await c.job(1)
        #expect(d.attempts.map(\.outcome) == [.lost, .ok], "\(d.attempts)")
        #expect(d.attempts.map(\.worker) == ["a", "b"])
        #expect(d.result != nil && d.result?.epochs.count == 12)
        #expect(try await c.leaderboard().filter { $0.testAccuracy != nil }.count == 1)
        #expect(try await c.metrics().contains("fatnn_completions_total 1\n"))
    }

    /// 2. SIGSTOP a worker past its lease, let another finish the job, SIGCONT → the stopped
    /// worker's heartbeat and result are refused, and the accepted result is unchanged.
    @Test func stoppedWorkerComesBackToARefusal() async throws {
        let h = try ProcessHarness("sigstop")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 2)
        _ = try await h.submit(jobs: 1, epochs: 6)
        try h.startWorker("a", extra: ["--exit-when-idle"], slowEpochs: 0.5)
        let c = try h.client()
        try await waitUntil("worker a finished an epoch", timeout: 120) { ((try? await c.job(1))?.epochs.count ?? 0) >= 1 }
        h.signal("a", SIGSTOP)
        try await waitUntil("the lease expired", timeout: 60) { (try? await c.job(1))?.attempts.first?.outcome == .lost }
        try h.startWorker("b", extra: ["--exit-when-idle"])
        #expect(try await h.waitForWorker("b") == 0)
        let accepted = try #require(try await c.job(1).result)
        h.signal("a", SIGCONT)
        #expect(try await h.waitForWorker("a") == 0)
        let d = try await c.job(1)
        #expect(d.row.state == .succeeded && d.result == accepted, "the accepted result is untouched")
        #expect(d.attempts.map(\.outcome) == [.lost, .ok] && d.attempts.map(\.worker) == ["a", "b"])
        let log = h.log("a")
        #expect(log.contains("claim lost") || log.contains("refused"), "worker a was told its claim is stale:\n\(log.suffix(2000))")
        #expect(try await c.leaderboard().filter { $0.testAccuracy != nil }.count == 1)
    }

    /// SIGTERM: the worker stops at the next epoch, gives the job back unrun (not charged to any
    /// budget) and exits 0; the next worker on the same host resumes from the checkpoint.
    @Test func sigtermGivesTheJobBackAndTheNextWorkerResumes() async throws {
        let h = try ProcessHarness("sigterm")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 4)
        _ = try await h.submit(jobs: 1, epochs: 6)
        let ckpt = h.dir + "/ckpt"
        try h.startWorker("a", extra: ["--checkpoint-dir", ckpt], slowEpochs: 0.5)
        let c = try h.client()
        try await waitUntil("worker a finished 2 epochs", timeout: 120) { ((try? await c.job(1))?.epochs.count ?? 0) >= 2 }
        h.signal("a", SIGTERM)
        #expect(try await h.waitForWorker("a", timeout: 60) == 0)
        var d = try await c.job(1)
        #expect(d.row.state == .queued && d.attempts.map(\.outcome) == [.released], "\(d.attempts)")
        try h.startWorker("b", extra: ["--checkpoint-dir", ckpt, "--exit-when-idle"])
        #expect(try await h.waitForWorker("b") == 0)
        d = try await c.job(1)
        #expect(d.row.state == .succeeded && d.attempts.map(\.outcome) == [.released, .ok])
        #expect(h.log("b").contains("resuming after epoch"), "worker b resumed from worker a's checkpoint")
    }

    /// A second signal during the shutdown: the worker exits 130 at once, mid-epoch, without
    /// giving the job back (its lease runs out as after a crash). SIGTERM then SIGINT, sent
    /// together: two different signals cannot merge into one delivery.
    @Test func secondSignalExitsAtOnceLeavingTheLease() async throws {
        let h = try ProcessHarness("sig2")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 60)
        _ = try await h.submit(jobs: 1, epochs: 20, trainLimit: 2000)
        try h.startWorker("a", slowEpochs: 1)
        let c = try h.client()
        try await waitUntil("worker a finished an epoch", timeout: 120) { ((try? await c.job(1))?.epochs.count ?? 0) >= 1 }
        let epochs = try await c.job(1).epochs.count
        h.signal("a", SIGTERM)
        h.signal("a", SIGINT)
        let status = try await h.waitForWorker("a", timeout: 10)
        #expect(status == 130, "exit status \(status):\n\(h.log("a").suffix(3000))")
        let d = try await c.job(1)
        #expect(d.row.state == .leased && d.attempts.map(\.outcome) == [.running], "the job was not given back: \(d.attempts)")
        #expect(d.epochs.count <= epochs + 1, "the worker left mid-run")
        #expect(h.log("a").contains("again: exiting now"), "\(h.log("a").suffix(1000))")
    }

    /// cancel while running: the worker hears it on its next heartbeat, stops, gives the job
    /// back, and the job ends cancelled; `retry --state cancelled` runs it to success.
    @Test func cancellingARunningJobStopsItsWorker() async throws {
        let h = try ProcessHarness("cancel")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 3)
        _ = try await h.submit(jobs: 1, epochs: 20)
        try h.startWorker("a", extra: ["--exit-when-idle"], slowEpochs: 0.3)
        let c = try h.client()
        try await waitUntil("worker a finished an epoch", timeout: 120) { ((try? await c.job(1))?.epochs.count ?? 0) >= 1 }
        #expect(try await c.cancel(jobs: [1], sweep: nil) == [1])
        #expect(try await h.waitForWorker("a", timeout: 60) == 0)
        let d = try await c.job(1)
        #expect(d.row.state == .cancelled && d.attempts.map(\.outcome) == [.cancelled], "\(d.attempts)")
        #expect(d.epochs.count < 20, "stopped early")
        #expect(try await c.retry(states: [.cancelled], sweep: nil) == [1])
        #expect(try await c.job(1).row.state == .queued)
    }

    /// 5. The acknowledgement of a result is lost after the commit (the coordinator holds it past
    /// the worker's request timeout): the worker resends from its spool, the result is stored
    /// once, and the spool drains.
    @Test func lostAcknowledgementIsResentAndStoredOnce() async throws {
        let h = try ProcessHarness("dropack")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 10, extra: ["--fault-delayed-result-acks", "1", "--fault-result-ack-delay", "5"])
        _ = try await h.submit(jobs: 1, epochs: 1)
        try h.startWorker("a", extra: ["--exit-when-idle", "--request-timeout", "2"])
        #expect(try await h.waitForWorker("a") == 0)
        let c = try h.client()
        let d = try await c.job(1)
        #expect(d.row.state == .succeeded && d.attempts.map(\.outcome) == [.ok])
        #expect(h.log("a").contains("retrying"), "the first result POST timed out:\n\(h.log("a").suffix(1500))")
        #expect(h.log("coordinator").contains("fault injection"))
        #expect(try await c.metrics().contains("fatnn_completions_total 1\n"))
        let spool = try FileManager.default.contentsOfDirectory(atPath: h.dir + "/spool-a").filter { $0.hasSuffix(".json") }
        #expect(spool.isEmpty, "spool drained: \(spool)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.dir + "/spool-a/rejected").isEmpty)
    }
}
