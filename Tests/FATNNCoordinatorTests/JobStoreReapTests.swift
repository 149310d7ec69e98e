@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import Testing

/// The store's reap and release (the `LeaseReaper` service that calls `reap` is `LeaseReaperTests`).
@Suite struct JobStoreReapTests {
    let clock = TestClock()
    let store: JobStore

    init() throws { store = try clock.store() }

    @Test func expiredLeasesAreRequeuedWithoutAClaim() throws {
        _ = try store.submit(try sampleSweep(), document: "{}")
        let a = try #require(try store.claim(worker: "w1", host: "h"))
        let b = try #require(try store.claim(worker: "w2", host: "h"))
        clock.advance(30)
        try store.heartbeat(job: b.id, token: b.claimToken, epoch: nil)
        clock.advance(31)
        #expect(try store.reap() == 1)
        #expect(try store.counts() == ["queued": 3, "leased": 1, "succeeded": 0, "failed": 0, "dead": 0, "cancelled": 0, "pruned": 0])
        #expect(throws: StoreError.staleClaim(a.id)) { try store.heartbeat(job: a.id, token: a.claimToken, epoch: nil) }
        #expect(try store.reap() == 0)
    }

    @Test func releaseRequeuesWithoutChargingABudget() throws {
        _ = try store.submit(try sampleSweep(seeds: [1], rates: [0.1]), document: "{}")
        let a = try #require(try store.claim(worker: "w1", host: "h"))
        try store.release(job: a.id, token: a.claimToken)
        #expect(try store.counts()["queued"] == 1)
        #expect(throws: StoreError.staleClaim(a.id)) { try store.release(job: a.id, token: a.claimToken) }
        let used = try store.pool.read { try Int.fetchOne($0, sql: "SELECT error_count + lost_count FROM jobs WHERE id = ?", arguments: [a.id]) }
        #expect(used == 0)
        #expect(try store.attempts(job: a.id).map(\.outcome) == [.released])
        let again = try #require(try store.claim(worker: "w2", host: "h"))
        #expect(again.id == a.id)
    }
}
