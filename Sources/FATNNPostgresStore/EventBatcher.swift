import FATNNCoordinator
import FATNNJobs

/// A heartbeat or a result waiting for its batch: the event, and what the store writes besides
/// the job's lifecycle columns.
struct BatchedEvent: Sendable {
    let job: Int64
    let event: LifecycleEvent
    let now: Double
    /// Columns of the job's row to set besides the lifecycle's (heartbeat progress).
    var extra: [(column: String, value: SQLValue)] = []
    /// Columns of the closed attempt to set besides its end (the result's identity).
    var closeExtra: [(column: String, value: SQLValue)] = []
    var epochs: [EpochReport] = []
    /// The `results` row of an accepted result, in ``PostgresJobStore/resultColumns`` order.
    var result: [SQLValue]? = nil
}

/// Group writes for PostgreSQL: heartbeats (or results) that arrive while a batch is being
/// written wait, then go together in the next one: one transaction that locks all their jobs'
/// rows in one statement, applies the rulebook to each in Swift, and writes every change set-wise
/// in one more (``PostgresJobStore/writeBatch(_:durable:)``). Each caller gets its own event's
/// transition or error. A job appears at most once per batch (a second event for it waits for
/// the next), and a batch holds at most ``maxBatch`` events; the waiting events are bounded by
/// the coordinator's concurrent requests.
actor EventBatcher {
    typealias Writer = @Sendable ([BatchedEvent]) async -> [Result<Transition, any Error>]

    static let maxBatch = 128

    private var pending: [(event: BatchedEvent, done: CheckedContinuation<Transition, any Error>)] = []
    private var draining = false

    /// Waits for `event`'s batch (written by `write`) and returns its transition.
    func submit(_ event: BatchedEvent, write: @escaping Writer) async throws -> Transition {
        try await withCheckedThrowingContinuation { c in
            pending.append((event, c))
            if !draining {
                draining = true
                Task { await self.drain(write) }
            }
        }
    }

    private func drain(_ write: Writer) async {
        while !pending.isEmpty {
            var batch: [(event: BatchedEvent, done: CheckedContinuation<Transition, any Error>)] = []
            var later: [(event: BatchedEvent, done: CheckedContinuation<Transition, any Error>)] = []
            var jobs = Set<Int64>()
            for p in pending {
                if batch.count < Self.maxBatch && jobs.insert(p.event.job).inserted { batch.append(p) } else { later.append(p) }
            }
            pending = later
            let results = await write(batch.map(\.event))
            for (p, r) in zip(batch, results) { p.done.resume(with: r) }
        }
        draining = false
    }
}
