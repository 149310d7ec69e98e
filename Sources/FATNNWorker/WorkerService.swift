import Logging
import ServiceLifecycle
import UnixSignals

/// A ``Worker`` as a swift-service-lifecycle `Service`. The group's graceful shutdown (SIGTERM
/// or SIGINT in `fatnn-worker`) stops claiming, stops running jobs at their next epoch boundary,
/// gives them back and returns; the worker also returns on its own (`once`, `exitWhenIdle`), and
/// its errors are the service's.
public struct WorkerService: Service {
    /// The worker this service runs.
    public let worker: Worker

    /// A service running `worker`.
    public init(worker: Worker) { self.worker = worker }

    public func run() async throws { _ = try await worker.run() }
}

/// The impatient path out of a graceful shutdown: the first of `signals` is the group's (it
/// starts the shutdown; this service logs what happens next), the second calls `exit`, for a
/// user who will not wait for the running epoch. swift-service-lifecycle honours one graceful
/// signal and keeps cancellation signals separate from graceful ones, so a second SIGTERM or
/// SIGINT would otherwise be ignored until the epoch ends.
///
/// Runs until its own graceful shutdown, which in a `ServiceGroup` listing it first comes after
/// every later service has finished.
public struct SecondSignalExit<Signals: AsyncSequence & Sendable>: Service where Signals.Element == UnixSignal {
    let signals: Signals
    let logger: Logger
    let exit: @Sendable (UnixSignal) -> Void

    /// Watches `signals`: logs the first, calls `exit` on the second.
    public init(signals: Signals, logger: Logger, exit: @escaping @Sendable (UnixSignal) -> Void) {
        self.signals = signals
        self.logger = logger
        self.exit = exit
    }

    public func run() async throws {
        var seen = 0
        for try await signal in signals.cancelOnGracefulShutdown() {
            seen += 1
            if seen == 1 {
                logger.warning("\(signal): finishing up: no new jobs; running jobs stop at their next epoch and are given back (again to exit at once)")
            } else {
                logger.warning("\(signal) again: exiting now; the coordinator re-runs the jobs when their leases expire")
                exit(signal)
                return
            }
        }
    }
}
