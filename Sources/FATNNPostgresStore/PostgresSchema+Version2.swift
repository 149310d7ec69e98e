extension PostgresSchema {
    /// Schema version 2: early stopping. Jobs gain the state pruned, their sweep stage and their
    /// pruning rule (JSON); attempts gain the outcome pruned. (No semicolons in comments here:
    /// migrations are split into statements on them.)
    static let version2 = """
    ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
    ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
        CHECK (state IN ('queued', 'leased', 'succeeded', 'failed', 'dead', 'cancelled', 'pruned'));
    ALTER TABLE jobs ADD COLUMN stage TEXT;
    ALTER TABLE jobs ADD COLUMN pruning TEXT;
    ALTER TABLE attempts DROP CONSTRAINT attempts_outcome_check;
    ALTER TABLE attempts ADD CONSTRAINT attempts_outcome_check
        CHECK (outcome IN ('running', 'ok', 'error', 'lost', 'timeout', 'released', 'cancelled', 'pruned'))
    """
}
