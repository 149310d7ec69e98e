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
