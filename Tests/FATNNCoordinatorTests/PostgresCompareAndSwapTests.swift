@testable import FATNNCoordinator
import FATNNJobs
@testable import FATNNPostgresStore
import Foundation
import Testing

/// Heartbeats and results on PostgreSQL are one compare-and-swap statement each
/// (`applyAtomically`): the row read unlocked, written only if every lifecycle column is as read.
@Suite(.enabled(if: PostgresFixtures.url != nil, PostgresFixtures.skipReason))
struct PostgresCompareAndSwapTests {
    /// The swap's condition fails when any one lifecycle column changed since the read.
    @Test func theSwapNoticesAChangeInEveryLifecycleColumn() async throws {
        let clock = TestClock()
        try await PostgresFixtures.withStore(clock: clock) { store in
            _ = try await store.submit(try sampleSweep(seeds: [1], rates: [0.1]), document: "{}", replicate: 0)
            let id = try #require(try await store.claim(worker: "w", host: "h").job?.id)
            let changes = ["state = 'queued'", "attempts = attempts + 1", "error_count = error_count + 1", "lost_count = lost_count + 1",
                           "claim_token = 'other'", "leased_at = leased_at + 1", "lease_expires_at = lease_expires_at + 1",
                           "not_before = 5", "cancel_requested = 1", "error = 'e'"]
            for change in changes {
                try await store.read { tx in
                    let row = try PostgresJobStore.lifecycleRow(try #require(try await tx.rows(ReadJob(args: [.integer(id)])).first))
                    let (cas, args) = PostgresJobStore.unchanged(row)
                    let count = { try await tx.row("SELECT count(*) AS n FROM jobs WHERE id = ? AND " + cas, [id] + args)?.get("n", as: Int64.self) }
                    #expect(try await count() == 1, "unchanged row before '\(change)'")
                    try await tx.execute("UPDATE jobs SET " + change + " WHERE id = ?", [id])
                    #expect(try await count() == 0, "'\(change)' is seen")
                }
            }
        }
    }

    /// Heartbeats from one coordinator racing the other's reaper over expired leases: each job
    /// ends one way only: heartbeat accepted and still leased, or reaped (lost) and the heartbeat
    /// refused. A heartbeat that wrote over a reaped row would show both.
    @Test func heartbeatsRacingAReaperAreEachAppliedOrRefused() async throws {
        let clock = TestClock()
        try await PostgresFixtures.withStores(2, leaseSeconds: 30, maxConnections: 8, clock: clock) { stores in
            _ = try await stores[0].submit(try sampleSweep(seeds: Array(1...20), rates: [0.05, 0.1]), document: "{}", replicate: 0)
            var claims: [(Int64, String)] = []
            while let job = try await stores[0].claim(worker: "w", host: "h").job { claims.append((job.id, job.claimToken)) }
            #expect(claims.count == 40)
            clock.advance(31)
            let accepted = try await withThrowingTaskGroup(of: (Int64, Bool)?.self) { group in
                group.addTask { _ = try await stores[1].reap(); return nil }
                for (id, token) in claims {
                    group.addTask { (id, (try? await stores[0].heartbeat(job: id, token: token, epoch: nil)) != nil) }
                }
                return try await group.reduce(into: [Int64: Bool]()) { if let (id, ok) = $1 { $0[id] = ok } }
            }
            _ = try await stores[1].reap()  // whatever the first reap did not reach (leases not renewed)
            for (id, _) in claims {
                let l = try #require(try await stores[1].lifecycle(of: id))
                if accepted[id] == true {
                    #expect(l.lifecycle.state == .leased && l.lifecycle.lostCount == 0 && l.attempts.map(\.outcome) == ["running"], "job \(id)")
                } else {
                    #expect(l.lifecycle.state == .queued && l.lifecycle.lostCount == 1 && l.attempts.map(\.outcome) == ["lost"], "job \(id)")
                }
            }
        }
    }
}
