@testable import FATNNCoordinator
import FATNNJobs
import FATNNPostgresStore
import Foundation
import Testing

/// `fatnn-coord migrate`'s copy: a SQLite store after the read-parity script's events, copied
/// into an empty PostgreSQL store, reads the same everywhere (job details with attempts, epochs
/// and results, leaderboard, progress, export, metrics), keeps its models and tokens, and hands
/// out new ids after the copied ones; a second copy into the now non-empty store is refused.
@Suite(.enabled(if: PostgresFixtures.url != nil, PostgresFixtures.skipReason))
struct StoreCopyTests {
    @Test func aCopiedStoreReadsTheSame() async throws {
        let clock = TestClock()
        let sqlite = try JobStore(path: temporaryDatabase(), leaseSeconds: 60, backoffSeconds: 7, clock: { clock.now })
        try await StoreReadParityTests.events(sqlite.queue, clock: clock)
        let token = try sqlite.createToken(name: "gpu-2", role: .worker)
        let before = try await StoreReadParityTests.reads(sqlite.queue)
        try await PostgresFixtures.withStore(leaseSeconds: 60, backoffSeconds: 7, clock: clock) { pg in
            let copied = try await pg.copy(from: sqlite)
            #expect(copied["jobs"] == 8 && copied["attempts"] == 4 && copied["job_artifacts"] == 1 && copied["tokens"] == 1, "\(copied)")
            let after = try await StoreReadParityTests.reads(pg)
            for key in before.keys.sorted() { #expect(after[key] == before[key], "\(key)") }
            #expect(try await pg.identity(sha256: SHA256.hex(token)) == Identity(name: "gpu-2", role: .worker))
            let detail = try await sqlite.queue.jobDetail(1)
            let hash = try #require(detail).configHash
            let stored = try await sqlite.queue.artifact(configHash: hash, replica: 0)
            let model = try await pg.artifact(configHash: hash, replica: 0)
            #expect(stored != nil && model?.data == stored?.data && model?.sha256 == stored?.sha256)
            // New rows continue after the copied ids.
            let more = try await pg.submit(try sampleSweep(name: "more", seeds: [9], rates: [0.3]), document: "{}", replicate: 0)
            let ninth = try await pg.jobDetail(9)
            #expect(more.sweepId == 3 && ninth != nil)
            await #expect(throws: PostgresStoreError.self) { _ = try await pg.copy(from: sqlite) }
        }
    }
}
