import Foundation

/// Holds the training thread after each epoch until the coordinator has answered that epoch's
/// heartbeat, so that a reply saying prune or cancel stops the run before the next epoch starts
/// instead of after it: early stopping then costs no extra epoch. The wait is one round trip per
/// epoch, bounded by `timeout` (then the next epoch starts, and a late prune stops the run one
/// epoch later); after a heartbeat that failed (coordinator unreachable) the gate does not wait
/// at all until one succeeds, so an outage never slows training.
final class EpochGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var answered = 0
    private var unreachable = false
    private let timeout: Double

    init(timeout: Double = 3) { self.timeout = timeout }

    /// Blocks (the training thread) until epoch `epoch` is answered, a heartbeat fails, the gate
    /// is opened, or the timeout passes.
    func wait(for epoch: Int) {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while answered < epoch && !unreachable && condition.wait(until: deadline) {}
    }

    /// The heartbeat of `epoch` has been answered.
    func answer(_ epoch: Int) {
        condition.lock()
        answered = max(answered, epoch)
        unreachable = false
        condition.broadcast()
        condition.unlock()
    }

    /// A heartbeat failed: no waiting until one is answered again.
    func failed() {
        condition.lock()
        unreachable = true
        condition.broadcast()
        condition.unlock()
    }

    /// Lets every wait through from now on (the heartbeat task has ended).
    func open() { answer(Int.max) }
}
