import Logging
import ServiceLifecycle

/// Re-queues or ends, every ``interval`` seconds, the jobs whose workers stopped sending
/// heartbeats or that ran past their timeout, so that status and results show them as they are
/// even while no worker is claiming (claims also reap, at most once a second). A service of the
/// coordinator's `ServiceGroup`: it stops at the group's graceful shutdown.
public struct LeaseReaper: Service {
    let store: any JobQueueStore
    /// Seconds between passes.
    public let interval: Double
    let logger: Logger

    /// A reaper passing every quarter lease, between 0.5 and 30 s.
    public init(store: any JobQueueStore, leaseSeconds: Double, logger: Logger) {
        self.init(store: store, interval: max(0.5, min(leaseSeconds / 4, 30)), logger: logger)
    }

    /// A reaper passing every `interval` seconds.
    public init(store: any JobQueueStore, interval: Double, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let pause = UInt64(interval * 1e9)
        while true {
            // Graceful shutdown (or cancellation) ends the wait, and the service with it.
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: pause) } } catch { return }
            do {
                let n = try await store.reap()
                if n > 0 { logger.warning("reaped \(n) job(s) whose lease expired or that ran past their timeout") }
            } catch {
                logger.error("lease reaper: \(error)")
            }
        }
    }
}
