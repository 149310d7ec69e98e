import FATNNWorker
import Foundation
import ServiceLifecycleTestKit
import Testing

/// The worker under swift-service-lifecycle's graceful shutdown (what SIGTERM and SIGINT start in
/// `fatnn-worker`; the process-level test is `WorkerFailureTests`).
@Suite struct WorkerGracefulShutdownTests {
    /// A worker waiting a minute between claims on an empty queue returns as soon as the
    /// shutdown is triggered, not at its next poll.
    @Test func gracefulShutdownEndsAnIdleWorkersWaitAtOnce() async throws {
        try await withCoordinator { url, _ in
            let worker = try Worker(options: WorkerOptions(coordinator: url, token: testToken, pollSeconds: 60),
                                    logger: WorkerRobustnessTests.quiet)
            let seconds = try await testGracefulShutdown { trigger in
                async let finished = WorkerService(worker: worker).run()
                try await Task.sleep(nanoseconds: 500_000_000)
                let start = Date()
                trigger.triggerGracefulShutdown()
                try await finished
                return Date().timeIntervalSince(start)
            }
            #expect(seconds < 5, "the worker slept through its shutdown (\(seconds) s)")
        }
    }
}
