@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import Testing

@Suite struct JobStoreTests {
    let clock = TestClock()
    let store: JobStore

    init() throws { store = try clock.store() }

    @Test func usesWAL() throws {
        #expect(try store.journalMode() == "wal")
    }

    @Test func submitStoresJobsOnceAndDedupes() throws {
        let first = try store.submit(try sampleSweep(), document: "{}")
        #expect(first.jobs == 4 && first.added == 4 && first.duplicates == 0)
        let again = try store.submit(try sampleSweep(), document: "{}")
        #expect(again.added == 0 && again.duplicates == 4 && again.sweepId == first.sweepId)
        let more = try store.submit(try sampleSweep(seeds: [1, 2, 3]), document: "{}")
        #expect(more.added == 2 && more.duplicates == 4)
        #expect(try store.counts()["queued"] == 6)
    }

    @Test func eachJobIsClaimedOnce() throws {
        _ = try store.submit(try sampleSweep(), document: "{}")
        var ids: [Int64] = []
        while let job = try store.claim(worker: "w", host: "h") {
            ids.append(job.id)
            #expect(job.claimToken.count == 64)
        }
        #expect(ids == [1, 2, 3, 4])
        #expect(try store.counts() == ["queued": 0, "leased": 4, "succeeded": 0, "failed": 0, "dead": 0, "cancelled": 0, "pruned": 0])
    }

    @Test func resultIsStoredAndIdempotent() throws {
        _ = try store.submit(try sampleSweep(), document: "{}")
        let a = try #require(try store.claim(worker: "w1", host: "h"))
        let b = try #require(try store.claim(worker: "w2", host: "h"))
        try store.heartbeat(job: a.id, token: a.claimToken, epoch: sampleResult(0.8).epochs[0])
        try store.complete(job: a.id, token: a.claimToken, result: sampleResult(0.80))
        try store.complete(job: a.id, token: a.claimToken, result: sampleResult(0.80))  // retried: no-op
        try store.complete(job: b.id, token: b.claimToken, result: sampleResult(0.85))
        let rows = try store.leaderboard()
        #expect(rows.map(\.id) == [b.id, a.id, 3, 4])
        #expect(rows[0].testAccuracy == 0.85 && rows[0].state == .succeeded)
        #expect(rows[2].state == .queued && rows[2].testAccuracy == nil)
        #expect(try store.counts()["succeeded"] == 2)
        let epochs = try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM epochs WHERE job_id = ?", arguments: [a.id]) }
        #expect(epochs == 2)
    }

    @Test func staleOrWrongTokensAreRefused() throws {
        _ = try store.submit(try sampleSweep(), document: "{}")
        let a = try #require(try store.claim(worker: "w1", host: "h"))
        #expect(throws: StoreError.staleClaim(a.id)) { try store.heartbeat(job: a.id, token: "nope", epoch: nil) }
        #expect(throws: StoreError.staleClaim(a.id)) { try store.complete(job: a.id, token: "nope", result: sampleResult(0.9)) }
        #expect(throws: StoreError.jobNotFound(99)) { try store.heartbeat(job: 99, token: a.claimToken, epoch: nil) }
        #expect(try store.leaderboard().allSatisfy { $0.testAccuracy == nil })
    }

    @Test func expiredLeaseIsHandedOutAgainAndOldClaimIsRefused() throws {
        _ = try store.submit(try sampleSweep(seeds: [1], rates: [0.1]), document: "{}")
        let a = try #require(try store.claim(worker: "w1", host: "h"))
        #expect(try store.claim(worker: "w2", host: "h") == nil)
        clock.advance(30)
        try store.heartbeat(job: a.id, token: a.claimToken, epoch: nil)  // extends to t+90
        clock.advance(59)
        #expect(try store.claim(worker: "w2", host: "h") == nil)
        clock.advance(2)
        let b = try #require(try store.claim(worker: "w2", host: "h"))
        #expect(b.id == a.id && b.claimToken != a.claimToken)
        #expect(throws: StoreError.staleClaim(a.id)) { try store.complete(job: a.id, token: a.claimToken, result: sampleResult(0.9)) }
        try store.complete(job: b.id, token: b.claimToken, result: sampleResult(0.7))
        #expect(try store.leaderboard()[0].testAccuracy == 0.7)
    }

    @Test func failRetriesWithinTheBudgetThenRecordsTheError() throws {
        _ = try store.submit(try sampleSweep(seeds: [1], rates: [0.1]), document: "{}")
        let first = try #require(try store.claim(worker: "w1", host: "h"))
        try store.fail(job: first.id, token: first.claimToken, error: "boom")
        #expect(try store.counts()["queued"] == 1, "one retry after a job error by default")
        let a = try #require(try store.claim(worker: "w1", host: "h"))
        #expect(a.id == first.id && a.attempt == 2)
        try store.fail(job: a.id, token: a.claimToken, error: "boom")
        #expect(try store.counts()["failed"] == 1)
        #expect(try store.error(job: a.id)?.hasPrefix("boom") == true)
        #expect(try store.attempts(job: a.id).map(\.outcome) == [.error, .error])
        #expect(throws: StoreError.staleClaim(a.id)) { try store.complete(job: a.id, token: a.claimToken, result: sampleResult(0.9)) }
    }

    @Test func reopeningKeepsEverything() throws {
        let path = temporaryDatabase()
        do {
            let s = try JobStore(path: path)
            _ = try s.submit(try sampleSweep(), document: "{}")
            let a = try #require(try s.claim(worker: "w", host: "h"))
            try s.complete(job: a.id, token: a.claimToken, result: sampleResult(0.9))
        }
        let s = try JobStore(path: path)
        #expect(try s.counts() == ["queued": 3, "leased": 0, "succeeded": 1, "failed": 0, "dead": 0, "cancelled": 0, "pruned": 0])
    }

    @Test func schemaFileMatchesMigration() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Schemas/schema.sql").standardized
        // FATNN_WRITE_SCHEMA=1 swift test --filter schemaFileMatchesMigration rewrites the file after a schema change.
        if ProcessInfo.processInfo.environment["FATNN_WRITE_SCHEMA"] == "1" { try Schema.all.write(to: file, atomically: true, encoding: .utf8) }
        #expect(try String(contentsOf: file, encoding: .utf8) == Schema.all)
    }
}
