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
-- Schema version 4: per-group sums of every metric, kept as results are accepted, for fast
-- grouped leaderboards (generated from the query fields in Sources/FATNNCoordinator/Query),
-- and an index for filters on model and quantizer.
CREATE TABLE group_results (
    group_hash TEXT PRIMARY KEY,
    sweep TEXT NOT NULL,
    model TEXT NOT NULL,
    quantizer TEXT NOT NULL,
    dataset TEXT NOT NULL,
    split TEXT NOT NULL,
    lr REAL NOT NULL,
    epochs INTEGER NOT NULL,
    n INTEGER NOT NULL,
    test_acc_count INTEGER NOT NULL,
    test_acc_sum REAL NOT NULL,
    test_acc_sumsq REAL NOT NULL,
    test_acc_min REAL,
    test_acc_max REAL,
    val_acc_count INTEGER NOT NULL,
    val_acc_sum REAL NOT NULL,
    val_acc_sumsq REAL NOT NULL,
    val_acc_min REAL,
    val_acc_max REAL,
    test_loss_count INTEGER NOT NULL,
    test_loss_sum REAL NOT NULL,
    test_loss_sumsq REAL NOT NULL,
    test_loss_min REAL,
    test_loss_max REAL,
    train_loss_count INTEGER NOT NULL,
    train_loss_sum REAL NOT NULL,
    train_loss_sumsq REAL NOT NULL,
    train_loss_min REAL,
    train_loss_max REAL,
    train_seconds_count INTEGER NOT NULL,
    train_seconds_sum REAL NOT NULL,
    train_seconds_sumsq REAL NOT NULL,
    train_seconds_min REAL,
    train_seconds_max REAL,
    images_per_s_count INTEGER NOT NULL,
    images_per_s_sum REAL NOT NULL,
    images_per_s_sumsq REAL NOT NULL,
    images_per_s_min REAL,
    images_per_s_max REAL,
    packed_img_s_count INTEGER NOT NULL,
    packed_img_s_sum REAL NOT NULL,
    packed_img_s_sumsq REAL NOT NULL,
    packed_img_s_min REAL,
    packed_img_s_max REAL,
    packed_latency_ms_count INTEGER NOT NULL,
    packed_latency_ms_sum REAL NOT NULL,
    packed_latency_ms_sumsq REAL NOT NULL,
    packed_latency_ms_min REAL,
    packed_latency_ms_max REAL,
    packed_exact_count INTEGER NOT NULL,
    packed_exact_sum REAL NOT NULL,
    packed_exact_sumsq REAL NOT NULL,
    packed_exact_min REAL,
    packed_exact_max REAL,
    gbops_count INTEGER NOT NULL,
    gbops_sum REAL NOT NULL,
    gbops_sumsq REAL NOT NULL,
    gbops_min REAL,
    gbops_max REAL
);
INSERT INTO group_results SELECT j.group_hash, min(s.name), min(j.model), min(j.quantizer), min(j.dataset), min(j.split), min(j.learning_rate), min(j.epochs), count(*), count(r.test_accuracy), total(r.test_accuracy), total((r.test_accuracy) * (r.test_accuracy)), min(r.test_accuracy), max(r.test_accuracy), count(r.val_accuracy), total(r.val_accuracy), total((r.val_accuracy) * (r.val_accuracy)), min(r.val_accuracy), max(r.val_accuracy), count(r.test_loss), total(r.test_loss), total((r.test_loss) * (r.test_loss)), min(r.test_loss), max(r.test_loss), count(r.train_loss), total(r.train_loss), total((r.train_loss) * (r.train_loss)), min(r.train_loss), max(r.train_loss), count(r.train_seconds), total(r.train_seconds), total((r.train_seconds) * (r.train_seconds)), min(r.train_seconds), max(r.train_seconds), count(r.images_per_second), total(r.images_per_second), total((r.images_per_second) * (r.images_per_second)), min(r.images_per_second), max(r.images_per_second), count(64.0 / json_extract(r.result, '$.packed.latencyBatch64')), total(64.0 / json_extract(r.result, '$.packed.latencyBatch64')), total((64.0 / json_extract(r.result, '$.packed.latencyBatch64')) * (64.0 / json_extract(r.result, '$.packed.latencyBatch64'))), min(64.0 / json_extract(r.result, '$.packed.latencyBatch64')), max(64.0 / json_extract(r.result, '$.packed.latencyBatch64')), count(1000.0 * json_extract(r.result, '$.packed.latencyBatch1')), total(1000.0 * json_extract(r.result, '$.packed.latencyBatch1')), total((1000.0 * json_extract(r.result, '$.packed.latencyBatch1')) * (1000.0 * json_extract(r.result, '$.packed.latencyBatch1'))), min(1000.0 * json_extract(r.result, '$.packed.latencyBatch1')), max(1000.0 * json_extract(r.result, '$.packed.latencyBatch1')), count(json_extract(r.result, '$.packedExact')), total(json_extract(r.result, '$.packedExact')), total((json_extract(r.result, '$.packedExact')) * (json_extract(r.result, '$.packedExact'))), min(json_extract(r.result, '$.packedExact')), max(json_extract(r.result, '$.packedExact')), count(json_extract(r.result, '$.operations.bitOps') / 1e9), total(json_extract(r.result, '$.operations.bitOps') / 1e9), total((json_extract(r.result, '$.operations.bitOps') / 1e9) * (json_extract(r.result, '$.operations.bitOps') / 1e9)), min(json_extract(r.result, '$.operations.bitOps') / 1e9), max(json_extract(r.result, '$.operations.bitOps') / 1e9) FROM jobs j JOIN sweeps s ON s.id = j.sweep_id JOIN results r ON r.job_id = j.id WHERE 1 GROUP BY j.group_hash;
CREATE INDEX jobs_model_quantizer ON jobs(model, quantizer);  -- leaderboard filters on model and quantizer
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
