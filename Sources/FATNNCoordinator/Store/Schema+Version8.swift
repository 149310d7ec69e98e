extension Schema {
    static let version8 = """
    -- Schema version 8: early stopping. Jobs gain the state pruned, the stage of their sweep they
    -- belong to and the pruning rule they run under; attempts gain the outcome pruned. SQLite
    -- cannot alter a CHECK, so both tables are rebuilt (same columns, in the same order, then the
    -- new ones).
    CREATE TABLE jobs_v8 (
        id                INTEGER PRIMARY KEY,
        sweep_id          INTEGER NOT NULL REFERENCES sweeps(id),
        config_hash       TEXT NOT NULL,        -- SHA-256 of the canonical config JSON
        replica           INTEGER NOT NULL DEFAULT 0, -- copies of one config added by submit --replicate
        group_hash        TEXT NOT NULL,        -- the same without the seed
        config            TEXT NOT NULL,        -- canonical config JSON
        model             TEXT NOT NULL,
        dataset           TEXT NOT NULL,
        split             TEXT NOT NULL,
        quantizer         TEXT NOT NULL,
        learning_rate     REAL NOT NULL,
        seed              INTEGER NOT NULL,
        epochs            INTEGER NOT NULL,
        parent_hash       TEXT,                 -- config hash of the job whose model this one starts from
        state             TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'succeeded', 'failed', 'dead', 'cancelled', 'pruned')),
        priority          INTEGER NOT NULL DEFAULT 0,  -- higher is claimed first
        claim_token       TEXT,                 -- secret of the current (or succeeded) claim
        worker            TEXT,
        host              TEXT,
        leased_at         REAL,                 -- start of the current attempt
        lease_expires_at  REAL,
        not_before        REAL,                 -- backoff: not claimable before this time
        cancel_requested  INTEGER NOT NULL DEFAULT 0,
        attempts          INTEGER NOT NULL DEFAULT 0,  -- claims made
        error_count       INTEGER NOT NULL DEFAULT 0,  -- attempts ended by job errors or timeouts
        lost_count        INTEGER NOT NULL DEFAULT 0,  -- attempts ended by lost workers
        max_error_retries INTEGER NOT NULL DEFAULT 1,
        max_lost_retries  INTEGER NOT NULL DEFAULT 5,
        timeout_seconds   REAL NOT NULL DEFAULT 604800,
        last_epoch        INTEGER,
        last_loss         REAL,
        last_accuracy     REAL,
        last_heartbeat_at REAL,
        error             TEXT,                 -- why the last attempt failed, or why the job ended (pruned: the rule's reason)
        created_at        REAL NOT NULL,
        updated_at        REAL NOT NULL,
        stage             TEXT,                 -- the sweep stage the job was submitted in (NULL without stages)
        pruning           TEXT,                 -- its early-stopping rule as JSON (NULL: never pruned)
        UNIQUE (config_hash, replica)
    );
    INSERT INTO jobs_v8 SELECT *, NULL, NULL FROM jobs;
    DROP TABLE jobs;
    ALTER TABLE jobs_v8 RENAME TO jobs;
    CREATE INDEX jobs_claim ON jobs(state, priority DESC, id);
    CREATE INDEX jobs_group ON jobs(group_hash);
    CREATE INDEX jobs_parent ON jobs(parent_hash);
    CREATE INDEX jobs_sweep ON jobs(sweep_id, state);
    CREATE INDEX jobs_leases ON jobs(lease_expires_at) WHERE state = 'leased';
    CREATE INDEX jobs_model_quantizer ON jobs(model, quantizer);  -- leaderboard filters on model and quantizer
    CREATE TABLE attempts_v8 (
        id         INTEGER PRIMARY KEY,
        job_id     INTEGER NOT NULL REFERENCES jobs(id),
        attempt    INTEGER NOT NULL,            -- 1 for the job's first claim
        worker     TEXT NOT NULL,
        host       TEXT NOT NULL,
        started_at REAL NOT NULL,
        ended_at   REAL,
        outcome    TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'error', 'lost', 'timeout', 'released', 'cancelled', 'pruned')),
        error      TEXT,
        identity           TEXT,                -- the token that claimed
        result_identity    TEXT,                -- the token that reported the accepted result
        invalidated_at     REAL,                -- when an administrator refused its accepted result
        invalidated_result TEXT,                -- that result (JSON), kept for the record
        UNIQUE (job_id, attempt)
    );
    INSERT INTO attempts_v8 SELECT * FROM attempts;
    DROP TABLE attempts;
    ALTER TABLE attempts_v8 RENAME TO attempts;
    CREATE INDEX attempts_outcome ON attempts(outcome);

    """
}
