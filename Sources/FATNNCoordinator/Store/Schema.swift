import FATNNJobs
import GRDB

/// The coordinator's SQL schema, as migrations applied in order. `Schemas/schema.sql` is a copy of
/// ``all`` kept identical by a test.
enum Schema {
    /// Every migration, in order, as one script.
    static var all: String { version1 + version2 + version3 + version4 + version6 + version7 + version8 }

    static var version4: String { GroupSummary.migration }

    /// Version 5 (data only, no change to the tables): fine-tuning jobs stored before it were
    /// grouped by their parent's config hash, so each seed of a QAT stage was a group of its own.
    /// Every such job gets the group that names its parent's group
    /// (``JobConfig/groupHash(parentGroup:)``), parents first, and `group_results` is rebuilt.
    static func regroupFineTuningJobs(_ db: Database) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT id, config_hash, config, parent_hash FROM jobs WHERE parent_hash IS NOT NULL ORDER BY id")
        var groups: [String: String] = [:]
        for row in rows {
            let parent: String = row["parent_hash"], hash: String = row["config_hash"]
            let parentGroup = try groups[parent]
                ?? String.fetchOne(db, sql: "SELECT group_hash FROM jobs WHERE config_hash = ? LIMIT 1", arguments: [parent])
            let group = try JobConfig.fromCanonical(row["config"]).groupHash(parentGroup: parentGroup)
            groups[hash] = group
            try db.execute(sql: "UPDATE jobs SET group_hash = ? WHERE id = ?", arguments: [group, row["id"] as Int64])
        }
        try db.execute(sql: "DELETE FROM group_results")
        try db.execute(sql: "INSERT INTO group_results " + GroupSummary.select(where: "1"))
    }

    static let version6 = """
    -- Schema version 6: models kept per job (config hash and replica), each from one attempt, and
    -- served only once that attempt's result is accepted (before, replicas of one config shared one
    -- slot, and an attempt whose result was refused could leave its model there).
    CREATE TABLE job_artifacts (
        job_id      INTEGER PRIMARY KEY REFERENCES jobs(id),
        attempt     INTEGER NOT NULL,          -- the attempt that uploaded it
        accepted    INTEGER NOT NULL DEFAULT 0, -- 1 once that attempt's result is accepted
        sha256      TEXT NOT NULL,             -- of data
        size        INTEGER NOT NULL,
        data        BLOB NOT NULL,             -- a FATNN model file
        created_at  REAL NOT NULL
    );
    -- The one shared model goes to the job that uploaded it and to every succeeded replica of its
    -- config (their children would otherwise wait for a model that never comes).
    INSERT INTO job_artifacts (job_id, attempt, accepted, sha256, size, data, created_at)
        SELECT j.id, j.attempts, j.state = 'succeeded', a.sha256, a.size, a.data, a.created_at
        FROM artifacts a JOIN jobs j ON j.config_hash = a.config_hash
        WHERE j.id = a.job_id OR j.state = 'succeeded';
    DROP TABLE artifacts;

    """

    static let version7 = """
    -- Schema version 7: worker identities. Named bearer tokens (only their SHA-256 is kept), and
    -- which token claimed each attempt and reported each result; results refused afterwards.
    CREATE TABLE tokens (
        name        TEXT PRIMARY KEY,
        role        TEXT NOT NULL CHECK (role IN ('worker', 'admin')),
        sha256      TEXT NOT NULL UNIQUE,
        created_at  REAL NOT NULL,
        revoked_at  REAL
    );
    ALTER TABLE attempts ADD COLUMN identity TEXT;         -- the token that claimed
    ALTER TABLE attempts ADD COLUMN result_identity TEXT;  -- the token that reported the accepted result
    ALTER TABLE attempts ADD COLUMN invalidated_at REAL;   -- when an administrator refused its accepted result
    ALTER TABLE attempts ADD COLUMN invalidated_result TEXT; -- that result (JSON), kept for the record

    """

    static let version1 = """
    -- FATNN coordinator database, schema version 1 (SQLite, WAL mode).
    CREATE TABLE sweeps (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        document     TEXT NOT NULL,            -- the last submitted sweep file
        submitted_at REAL NOT NULL             -- Unix seconds
    );
    CREATE TABLE jobs (
        id               INTEGER PRIMARY KEY,
        sweep_id         INTEGER NOT NULL REFERENCES sweeps(id),
        config_hash      TEXT NOT NULL UNIQUE, -- SHA-256 of the canonical config JSON
        group_hash       TEXT NOT NULL,        -- the same without the seed
        config           TEXT NOT NULL,        -- canonical config JSON
        model            TEXT NOT NULL,
        dataset          TEXT NOT NULL,
        split            TEXT NOT NULL,
        quantizer        TEXT NOT NULL,
        learning_rate    REAL NOT NULL,
        seed             INTEGER NOT NULL,
        epochs           INTEGER NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'succeeded', 'failed')),
        claim_token      TEXT,                 -- secret of the current (or finishing) claim
        worker           TEXT,
        host             TEXT,
        lease_expires_at REAL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_epoch       INTEGER,
        error            TEXT,
        created_at       REAL NOT NULL,
        updated_at       REAL NOT NULL
    );
    CREATE INDEX jobs_state ON jobs(state, id);
    CREATE INDEX jobs_group ON jobs(group_hash);
    CREATE TABLE epochs (
        job_id         INTEGER NOT NULL REFERENCES jobs(id),
        epoch          INTEGER NOT NULL,
        train_loss     REAL NOT NULL,
        train_accuracy REAL NOT NULL,
        val_accuracy   REAL,
        learning_rate  REAL NOT NULL,
        seconds        REAL NOT NULL,
        PRIMARY KEY (job_id, epoch)
    );
    CREATE TABLE results (
        job_id            INTEGER PRIMARY KEY REFERENCES jobs(id),
        test_accuracy     REAL NOT NULL,
        test_loss         REAL NOT NULL,
        val_accuracy      REAL,
        train_loss        REAL NOT NULL,
        train_seconds     REAL NOT NULL,
        images_per_second REAL NOT NULL,
        host              TEXT NOT NULL,
        threads           INTEGER NOT NULL,
        result            TEXT NOT NULL,       -- the full result document (JSON)
        finished_at       REAL NOT NULL
    );
    CREATE INDEX results_accuracy ON results(test_accuracy DESC);

    """

    static let version2 = """
    -- Schema version 2: fine-tuning jobs and model artifacts.
    ALTER TABLE jobs ADD COLUMN parent_hash TEXT;  -- config hash of the job whose model this one starts from
    CREATE INDEX jobs_parent ON jobs(parent_hash);
    CREATE TABLE artifacts (
        config_hash TEXT PRIMARY KEY,          -- the producing job's config hash
        job_id      INTEGER NOT NULL REFERENCES jobs(id),
        sha256      TEXT NOT NULL,             -- of data
        size        INTEGER NOT NULL,
        data        BLOB NOT NULL,             -- a FATNN model file
        created_at  REAL NOT NULL
    );

    """

    static let version3 = """
    -- Schema version 3: the job lifecycle. Jobs gain the states dead and cancelled, retry budgets,
    -- backoff, a timeout, priorities, cancel requests, replicas and live progress; every claim is
    -- recorded in attempts; sweeps can be paused. SQLite cannot alter a CHECK, so jobs is rebuilt.
    CREATE TABLE jobs_v3 (
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
        state             TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'succeeded', 'failed', 'dead', 'cancelled')),
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
        error             TEXT,
        created_at        REAL NOT NULL,
        updated_at        REAL NOT NULL,
        UNIQUE (config_hash, replica)
    );
    INSERT INTO jobs_v3 (id, sweep_id, config_hash, group_hash, config, model, dataset, split, quantizer, learning_rate,
                         seed, epochs, parent_hash, state, claim_token, worker, host, leased_at, lease_expires_at,
                         attempts, error_count, last_epoch, error, created_at, updated_at)
        SELECT id, sweep_id, config_hash, group_hash, config, model, dataset, split, quantizer, learning_rate,
               seed, epochs, parent_hash, state, claim_token, worker, host,
               CASE state WHEN 'leased' THEN updated_at END, lease_expires_at,
               attempts, CASE state WHEN 'failed' THEN 1 ELSE 0 END, last_epoch, error, created_at, updated_at
        FROM jobs;
    DROP TABLE jobs;
    ALTER TABLE jobs_v3 RENAME TO jobs;
    CREATE INDEX jobs_claim ON jobs(state, priority DESC, id);
    CREATE INDEX jobs_group ON jobs(group_hash);
    CREATE INDEX jobs_parent ON jobs(parent_hash);
    CREATE INDEX jobs_sweep ON jobs(sweep_id, state);
    CREATE INDEX jobs_leases ON jobs(lease_expires_at) WHERE state = 'leased';
    ALTER TABLE sweeps ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE attempts (
        id         INTEGER PRIMARY KEY,
        job_id     INTEGER NOT NULL REFERENCES jobs(id),
        attempt    INTEGER NOT NULL,            -- 1 for the job's first claim
        worker     TEXT NOT NULL,
        host       TEXT NOT NULL,
        started_at REAL NOT NULL,
        ended_at   REAL,
        outcome    TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'error', 'lost', 'timeout', 'released', 'cancelled')),
        error      TEXT,
        UNIQUE (job_id, attempt)
    );
    CREATE INDEX attempts_outcome ON attempts(outcome);

    """
}
