@testable import FATNNCoordinator
import FATNNJobs
import FATNNPostgresStore
import Foundation
import Testing

/// Several coordinators on one PostgreSQL database (two stores with their own connection pools,
/// migrating at the same moment), many claims at once: no job is leased twice, and overdue
/// leases reaped by both at once are each reaped once.
@Suite(.enabled(if: PostgresFixtures.url != nil, PostgresFixtures.skipReason))
struct PostgresConcurrencyTests {
    @Test func concurrentClaimsFromTwoCoordinatorsNeverShareAJob() async throws {
        let clock = TestClock()
        try await PostgresFixtures.withStores(2, leaseSeconds: 30, clock: clock) { stores in
            _ = try await stores[0].submit(try sampleSweep(seeds: Array(1...20), rates: [0.05, 0.1, 0.2]), document: "{}", replicate: 0)
            // 2 stores x 6 claimers, each claiming until the queue is empty.
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for (s, store) in stores.enumerated() {
                    for c in 0..<6 {
                        group.addTask {
                            var mine: [Int64] = []
                            while let job = try await store.claim(worker: "w\(s)-\(c)", host: "h").job { mine.append(job.id) }
                            return mine
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(claims.count == 60 && Set(claims).count == 60, "\(claims.count) claims of \(Set(claims).count) jobs")
            for id in Set(claims) { #expect(try await stores[1].lifecycle(of: id)?.attempts.map(\.outcome) == ["running"]) }

            // Every lease runs out; both coordinators reap at once: each job is lost once.
            clock.advance(31)
            let reaped = try await withThrowingTaskGroup(of: Int.self) { group in
                for store in stores { group.addTask { try await store.reap() } }
                return try await group.reduce(0, +)
            }
            #expect(reaped == 60)
            for id in Set(claims) {
                let l = try #require(try await stores[0].lifecycle(of: id))
                #expect(l.attempts.map(\.outcome) == ["lost"] && l.lifecycle.lostCount == 1 && l.lifecycle.state == .queued)
            }
        }
    }

    /// Heartbeats through one coordinator racing the other's reaper over expired leases: each
    /// job ends one way only: heartbeat accepted and still leased, or reaped (lost) and the
    /// heartbeat refused. A heartbeat written over a reaped row would show both.
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

    /// Results sent together go in shared batches (one transaction each): every caller gets its
    /// own answer. Half are sent with a stale token: refused, nothing stored for them; the rest
    /// are stored once, with their epochs, and a result sent again is a no-op.
    @Test func resultsSentTogetherAreEachAcceptedOrRefused() async throws {
        let clock = TestClock()
        try await PostgresFixtures.withStore(leaseSeconds: 60, clock: clock) { store in
            _ = try await store.submit(try sampleSweep(seeds: Array(1...20), rates: [0.05, 0.1]), document: "{}", replicate: 0)
            var claims: [(Int64, String)] = []
            while let job = try await store.claim(worker: "w", host: "h").job { claims.append((job.id, job.claimToken)) }
            let outcomes = try await withThrowingTaskGroup(of: (Int64, Bool).self) { group in
                for (i, (id, token)) in claims.enumerated() {
                    group.addTask {
                        let ok = (try? await store.complete(job: id, token: i % 2 == 0 ? token : "stale", result: sampleResult(0.5 + Double(i) / 100),
                                                            identity: "id\(i)")) != nil
                        return (id, ok)
                    }
                }
                return try await group.reduce(into: [Int64: Bool]()) { $0[$1.0] = $1.1 }
            }
            for (i, (id, token)) in claims.enumerated() {
                let l = try #require(try await store.lifecycle(of: id))
                if i % 2 == 0 {
                    #expect(outcomes[id] == true && l.lifecycle.state == .succeeded && l.attempts.map(\.outcome) == ["ok"], "job \(id)")
                    try await store.complete(job: id, token: token, result: sampleResult(0.1), identity: nil)  // resent: no-op
                } else {
                    #expect(outcomes[id] == false && l.lifecycle.state == .leased && l.attempts.map(\.outcome) == ["running"], "job \(id)")
                }
            }
            let accuracies = try await store.leaderboard(limit: 100).compactMap(\.testAccuracy)
            #expect(accuracies.count == 20 && Set(accuracies).count == 20, "20 results, each its own: \(accuracies)")
        }
    }
}
