@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import Testing

/// A heartbeat renews the lease and records the progress in one UPDATE of the changed columns.
@Suite struct HeartbeatProgressTests {
    @Test func heartbeatRenewsTheLeaseAndRecordsProgress() throws {
        let clock = TestClock()
        let store = try clock.store()
        _ = try store.submit(try sampleSweep(seeds: [1], rates: [0.1]), document: "{}", replicate: 0)
        let job = try #require(try store.claim(worker: "w", host: "h"))
        let leaseBefore = try #require(try store.pool.read { try Double.fetchOne($0, sql: "SELECT lease_expires_at FROM jobs WHERE id = ?", arguments: [job.id]) })

        clock.advance(30)
        let reply = try store.heartbeat(job: job.id, token: job.claimToken,
                                        epoch: EpochReport(epoch: 1, trainLoss: 0.42, trainAccuracy: 0.8, validationAccuracy: 0.77, learningRate: 0.1, seconds: 3))
        #expect(!reply.cancel)
        let live = try #require(try store.progress().live.first)
        #expect(live.id == job.id && live.epoch == 1 && live.loss == 0.42 && live.accuracy == 0.77 && live.heartbeatAge == 0)
        let row = try #require(try store.pool.read { try Row.fetchOne($0, sql: "SELECT state, lease_expires_at, updated_at FROM jobs WHERE id = ?", arguments: [job.id]) })
        #expect(row["state"] as String == "leased")
        #expect(row["lease_expires_at"] as Double == leaseBefore + 30)
        #expect(row["updated_at"] as Double == clock.now)

        // Without an epoch: the lease and heartbeat time move, the last progress stays.
        clock.advance(10)
        try store.heartbeat(job: job.id, token: job.claimToken, epoch: nil)
        let again = try #require(try store.progress().live.first)
        #expect(again.epoch == 1 && again.loss == 0.42 && again.heartbeatAge == 0)
        #expect(try store.pool.read { try Double.fetchOne($0, sql: "SELECT lease_expires_at FROM jobs WHERE id = ?", arguments: [job.id]) } == leaseBefore + 40)

        // A stale token changes nothing.
        #expect(throws: StoreError.self) { try store.heartbeat(job: job.id, token: String(repeating: "0", count: 64), epoch: nil) }
    }
}
