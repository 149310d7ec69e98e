@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The lease reaper as a service of the coordinator's group: it re-queues a lost worker's job
/// without any claim, and the group's graceful shutdown stops it at once.
@Suite struct LeaseReaperTests {
    @Test func requeuesLostJobsAndStopsAtGracefulShutdown() async throws {
        let clock = TestClock()
        let store = try clock.store()
        _ = try store.submit(try sampleSweep(seeds: [1], rates: [0.1]), document: "{}")
        _ = try #require(try store.claim(worker: "w", host: "h"))
        clock.advance(61)  // past the 60 s lease, and nobody claims
        let logger = Logger(label: "test")
        let group = ServiceGroup(configuration: .init(services: [LeaseReaper(store: store.queue, interval: 0.05, logger: logger)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for _ in 0..<3000 where try store.counts()["queued"] != 1 { try await Task.sleep(nanoseconds: 10_000_000) }
            #expect(try store.counts()["queued"] == 1 && store.counts()["leased"] == 0, "the reaper re-queued the lost job")
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        // Waiting an hour for its next pass, the reaper still stops at the graceful shutdown (the
        // bound only catches a reaper that ignores it; no timing is asserted).
        let idle = ServiceGroup(configuration: .init(services: [LeaseReaper(store: store.queue, interval: 3600, logger: logger)], logger: logger))
        let stopped = try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask { try await idle.run(); return true }
            tasks.addTask { try await Task.sleep(nanoseconds: 300_000_000_000); return false }
            try await Task.sleep(nanoseconds: 100_000_000)
            await idle.triggerGracefulShutdown()
            let first = try await tasks.next() ?? false
            tasks.cancelAll()
            return first
        }
        #expect(stopped, "the reaper kept sleeping through the graceful shutdown")
        #expect(LeaseReaper(store: store.queue, leaseSeconds: 600, logger: logger).interval == 30)
        #expect(LeaseReaper(store: store.queue, leaseSeconds: 1, logger: logger).interval == 0.5)
    }
}
