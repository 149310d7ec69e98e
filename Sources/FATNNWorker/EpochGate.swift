import Foundation

/// Holds the training thread after each epoch until the coordinator has answered that epoch's
/// heartbeat (or `timeout` seconds pass), so that a reply saying prune or cancel stops the run
/// before the next epoch starts instead of after it: early stopping then costs no extra epoch.
/// The wait is one round trip per epoch; it is bounded, so a slow or unreachable coordinator
/// delays an epoch by at most `timeout`.
final class EpochGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var answered = 0
    private let timeout: Double

    init(timeout: Double = 10) { self.timeout = timeout }

    /// Blocks (the training thread) until epoch `epoch` is answered, the gate is opened, or the
    /// timeout passes.
    func wait(for epoch: Int) {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while answered < epoch && condition.wait(until: deadline) {}
    }

    /// The heartbeat of `epoch` has been answered.
    func answer(_ epoch: Int) {
        condition.lock()
        answered = max(answered, epoch)
        condition.broadcast()
        condition.unlock()
    }

    /// Lets every wait through from now on (the heartbeat task has ended).
    func open() { answer(Int.max) }
}
