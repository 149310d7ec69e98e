import FATNNClient
import FATNNJobs
import Foundation
import Logging
import Testing

/// The worker's backoff (``RetryPolicy``) on an injected clock: which errors it retries, how long
/// it waits between attempts, and when it gives up.
@Suite struct RetryPolicyTests {
    /// Records the waits instead of sleeping.
    final class Waits: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Double] = []
        var all: [Double] { lock.withLock { values } }
        func add(_ s: Double) { lock.withLock { values.append(s) } }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func next() -> Int { lock.withLock { n += 1; return n } }
    }

    static let logger = Logger(label: "test")
    static let busy = ClientError.http(status: 503, code: .busy, message: "uploads")

    @Test func transientErrorsAreRetriedWithDoublingCappedWaits() async throws {
        let waits = Waits(), calls = Counter()
        let policy = RetryPolicy(initialDelay: 0.5, maxDelay: 3, sleep: { waits.add($0) })
        let value = try await policy.run("call", logger: Self.logger) { () async throws -> Int in
            let n = calls.next()
            if n <= 5 { throw n % 2 == 0 ? Self.busy : ClientError.unreachable(url: "u", reason: "refused") }
            return n
        }
        #expect(value == 6 && waits.all == [0.5, 1, 2, 3, 3])
    }

    @Test func refusalsAreNotRetried() async throws {
        let waits = Waits()
        let policy = RetryPolicy(sleep: { waits.add($0) })
        for refusal in [ClientError.http(status: 409, code: .staleClaim, message: "m"), .http(status: 401, code: .unauthorized, message: "m"),
                        .tls(url: "u", reason: "r"), .badResponse("b")] {
            await #expect(throws: refusal) { try await policy.run("call", logger: Self.logger) { () async throws -> Int in throw refusal } }
        }
        #expect(waits.all.isEmpty)
    }

    @Test func givesUpAfterMaxAttemptsWithTheLastError() async throws {
        let waits = Waits(), calls = Counter()
        let policy = RetryPolicy(initialDelay: 0.5, maxDelay: 2, maxAttempts: 4, sleep: { waits.add($0) })
        await #expect(throws: Self.busy) {
            try await policy.run("call", logger: Self.logger) { () async throws -> Int in _ = calls.next(); throw Self.busy }
        }
        #expect(calls.next() == 5 && waits.all == [0.5, 1, 2], "4 attempts, 3 waits")
    }
}
