import FATNNJobs
import Foundation

/// A value a store writes to a column, independent of the database library.
public enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// A job's lifecycle as the columns of its `jobs` row (`Schemas/schema.sql`): the one mapping
/// between ``JobLifecycle`` and a stored row, shared by every store backend. A store selects
/// ``selectList``, builds the value with ``JobLifecycle/init(row:)`` and writes back only
/// ``changes(from:to:)``.
extension JobLifecycle {
    /// The columns ``init(row:)`` reads, in order, for a `SELECT`.
    public static let selectList = """
        state, attempts, error_count, lost_count, claim_token, leased_at, lease_expires_at, not_before, \
        cancel_requested, error, max_error_retries, max_lost_retries, timeout_seconds
        """

    /// The stored columns of a job, as read by ``selectList``.
    public struct Row: Sendable {
        public var state: String
        public var attempts: Int
        public var errorCount: Int
        public var lostCount: Int
        public var claimToken: String?
        public var leasedAt: Double?
        public var leaseExpiresAt: Double?
        public var notBefore: Double?
        public var cancelRequested: Bool
        public var error: String?
        public var maxErrorRetries: Int
        public var maxLostRetries: Int
        public var timeoutSeconds: Double

        public init(state: String, attempts: Int, errorCount: Int, lostCount: Int, claimToken: String?, leasedAt: Double?,
                    leaseExpiresAt: Double?, notBefore: Double?, cancelRequested: Bool, error: String?,
                    maxErrorRetries: Int, maxLostRetries: Int, timeoutSeconds: Double) {
            self.state = state; self.attempts = attempts; self.errorCount = errorCount; self.lostCount = lostCount
            self.claimToken = claimToken; self.leasedAt = leasedAt; self.leaseExpiresAt = leaseExpiresAt
            self.notBefore = notBefore; self.cancelRequested = cancelRequested; self.error = error
            self.maxErrorRetries = maxErrorRetries; self.maxLostRetries = maxLostRetries; self.timeoutSeconds = timeoutSeconds
        }
    }

    /// The lifecycle a stored row describes. An unknown state reads as `failed`; a leased row
    /// without its claim's fields reads as a lease that expired long ago (reaped at once).
    public init(row r: Row) {
        self.init(maxErrorRetries: r.maxErrorRetries, maxLostRetries: r.maxLostRetries, timeoutSeconds: r.timeoutSeconds)
        switch JobState(rawValue: r.state) ?? .failed {
        case .queued: phase = .queued(notBefore: r.notBefore)
        case .leased:
            phase = .leased(.init(token: r.claimToken ?? "", since: r.leasedAt ?? 0, expiresAt: r.leaseExpiresAt ?? 0,
                                  cancelRequested: r.cancelRequested))
        case .succeeded: phase = .succeeded(token: r.claimToken)
        case .failed: phase = .failed
        case .dead: phase = .dead
        case .cancelled: phase = .cancelled
        case .pruned: phase = .pruned
        }
        attempts = r.attempts
        errorCount = r.errorCount
        lostCount = r.lostCount
        error = r.error
    }

    /// The lifecycle columns that differ between `before` and `after`, with their new values, in
    /// a fixed order (unchanged columns stay out of an UPDATE, so indexes on them are untouched).
    public static func changes(from before: JobLifecycle, to after: JobLifecycle) -> [(column: String, value: SQLValue)] {
        var out: [(column: String, value: SQLValue)] = []
        func text(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
        func real(_ d: Double?) -> SQLValue { d.map(SQLValue.real) ?? .null }
        func set(_ column: String, _ old: SQLValue, _ new: SQLValue) { if old != new { out.append((column, new)) } }
        set("state", .text(before.state.rawValue), .text(after.state.rawValue))
        set("attempts", .integer(Int64(before.attempts)), .integer(Int64(after.attempts)))
        set("error_count", .integer(Int64(before.errorCount)), .integer(Int64(after.errorCount)))
        set("lost_count", .integer(Int64(before.lostCount)), .integer(Int64(after.lostCount)))
        set("claim_token", text(before.claimToken), text(after.claimToken))
        set("leased_at", real(before.leasedAt), real(after.leasedAt))
        set("lease_expires_at", real(before.leaseExpiresAt), real(after.leaseExpiresAt))
        set("not_before", real(before.notBefore), real(after.notBefore))
        set("cancel_requested", .integer(before.cancelRequested ? 1 : 0), .integer(after.cancelRequested ? 1 : 0))
        set("error", text(before.error), text(after.error))
        return out
    }
}
