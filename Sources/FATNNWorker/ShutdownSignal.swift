import Foundation

/// Why the worker stops an attempt it holds before training finishes (the engine's own reason
/// for ending a run early is `TrainingStop`).
enum AbandonReason: Sendable, Equatable {
    /// The coordinator refused a heartbeat: the claim is no longer this worker's.
    case claimLost
    /// A user cancelled the job (told by a heartbeat reply).
    case cancelled
    /// The sweep's early stopping ended the job (told by a heartbeat reply, with the reason):
    /// the coordinator has already recorded it as pruned.
    case pruned(String)
    /// The worker is shutting down (its service group's graceful shutdown).
    case shutdown
}

/// A request to stop the worker, set by the graceful-shutdown handler of ``Worker/run()`` and
/// read by every job loop: no new claims, and running attempts stop at their next epoch boundary
/// and give their jobs back.
final class ShutdownSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var running: [ObjectIdentifier: StopFlag] = [:]

    init() {}

    /// Whether shutdown was requested.
    var isRequested: Bool { lock.withLock { requested } }

    /// Requests shutdown: stops every running attempt.
    func request() {
        let flags = lock.withLock { () -> [StopFlag] in
            requested = true
            return Array(running.values)
        }
        for f in flags { f.set(.shutdown) }
    }

    func register(_ flag: StopFlag) {
        let stopNow = lock.withLock { () -> Bool in
            running[ObjectIdentifier(flag)] = flag
            return requested
        }
        if stopNow { flag.set(.shutdown) }
    }

    func unregister(_ flag: StopFlag) { _ = lock.withLock { running.removeValue(forKey: ObjectIdentifier(flag)) } }
}
