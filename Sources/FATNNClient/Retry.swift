import Foundation
import Logging

/// Exponential backoff for calls that fail transiently.
public struct RetryPolicy: Sendable {
    /// First wait, seconds.
    public var initialDelay: Double
    /// Longest wait, seconds.
    public var maxDelay: Double
    /// Give up after this many attempts (nil: keep trying until cancelled).
    public var maxAttempts: Int?
    /// Waits the given seconds between attempts (tests pass a clock of their own).
    public var sleep: @Sendable (Double) async throws -> Void

    public init(initialDelay: Double = 0.5, maxDelay: Double = 30, maxAttempts: Int? = nil,
                sleep: @escaping @Sendable (Double) async throws -> Void = { try await Task.sleep(nanoseconds: UInt64($0 * 1e9)) }) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.sleep = sleep
    }

    /// Runs `operation`, retrying transient ``ClientError``s with backoff and a log line each time.
    /// Other errors, and cancellation, end it at once.
    public func run<T: Sendable>(_ what: String, logger: Logger, _ operation: () async throws -> T) async throws -> T {
        var delay = initialDelay
        var attempt = 1
        while true {
            do { return try await operation() } catch let e as ClientError where e.isTransient {
                if let maxAttempts, attempt >= maxAttempts { throw e }
                logger.warning("\(what): \(e); retrying in \(String(format: "%.1f", delay)) s (attempt \(attempt))")
                try await sleep(delay)
                delay = min(delay * 2, maxDelay)
                attempt += 1
            }
        }
    }
}
