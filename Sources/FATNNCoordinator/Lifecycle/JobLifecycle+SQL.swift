import FATNNJobs

/// The lifecycle's rules as SQL, for a store's bulk and hot steps (picking and claiming a job in
/// one statement, finding overdue leases, failing the dependents of an unsuccessful job).
/// Each is written next to the Swift rule it restates, over the columns of `Schemas/schema.sql`;
/// `LifecycleParityTests` runs the SQLite store and the value type on the same events and
/// compares every row.
extension JobLifecycle {
    /// ``isClaimable(at:)`` for the `jobs` row aliased `t`; one parameter: now.
    public static func claimableSQL(_ t: String) -> String {
        "\(t).state = '\(JobState.queued.rawValue)' AND (\(t).not_before IS NULL OR \(t).not_before <= ?)"
    }

    /// ``overdueEvent(at:)`` is not nil, for the `jobs` row aliased `t`; two parameters: now, now.
    public static func overdueSQL(_ t: String) -> String {
        "\(t).state = '\(JobState.leased.rawValue)' AND (\(t).lease_expires_at < ? OR \(t).leased_at + \(t).timeout_seconds < ?)"
    }

    /// The `claim` transition as the SET list of an `UPDATE jobs` of the claimed row (the pick is
    /// ``claimableSQL(_:)``), so that a claim is one statement; three parameters: the token, now,
    /// now + the lease. The transition's effect, ``LifecycleEffect/openAttempt(_:)`` with the new
    /// `attempts`, is the store's to carry out.
    public static let claimSetSQL = claimSet(token: "?")

    /// ``claimSetSQL`` with the claim token taken from `token` (a placeholder or a column).
    /// Parameters after the token: now, now + lease.
    public static func claimSet(token: String) -> String {
        """
        state = '\(JobState.leased.rawValue)', claim_token = \(token), leased_at = ?, lease_expires_at = ?, not_before = NULL, \
        cancel_requested = 0, attempts = attempts + 1
        """
    }

    /// `('failed', 'dead', …)`: a list of states for `IN`.
    public static func sqlList(_ states: [JobState]) -> String {
        "(" + states.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }

    /// The message of ``LifecycleEvent/parentEnded(_:_:)`` as an SQL expression, from the
    /// parent's id and state expressions (the same text as ``parentEndedMessage(parent:state:)``).
    public static func parentEndedMessageSQL(parent: String, state: String) -> String {
        "'the job it starts from (' || \(parent) || ') ended ' || \(state)"
    }
}
