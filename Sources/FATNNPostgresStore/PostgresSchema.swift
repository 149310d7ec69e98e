import FATNNCoordinator

/// The PostgreSQL schema: the SQLite store's tables at its version 7 (`Schemas/schema.sql`), with
/// PostgreSQL's types, so that the shared lifecycle SQL (``JobLifecycle/claimableSQL(_:)`` and
/// the rest) runs on both. Versions are counted in `fatnn_schema`; migrations run under an
/// advisory lock, so coordinators starting together migrate once.
enum PostgresSchema {
    /// The version ``migrations`` reach.
    static var version: Int { migrations.count }

    /// Migration `i + 1` is `migrations[i]`.
    static let migrations: [String] = [version1, version2]

    /// The advisory lock key that serializes migrations ("FATNN" in ASCII).
    static let lockKey: Int64 = 0x4641_544E_4E

    static let version1 = """
    CREATE TABLE sweeps (
        id           BIGSERIAL PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        document     TEXT NOT NULL,
        submitted_at DOUBLE PRECISION NOT NULL,
        paused       INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE jobs (
        id                BIGSERIAL PRIMARY KEY,
        sweep_id          BIGINT NOT NULL REFERENCES sweeps(id),
        config_hash       TEXT NOT NULL,
        replica           INTEGER NOT NULL DEFAULT 0,
        group_hash        TEXT NOT NULL,
        config            TEXT NOT NULL,
        model             TEXT NOT NULL,
        dataset           TEXT NOT NULL,
        split             TEXT NOT NULL,
        quantizer         TEXT NOT NULL,
        learning_rate     DOUBLE PRECISION NOT NULL,
        seed              BIGINT NOT NULL,
        epochs            INTEGER NOT NULL,
        parent_hash       TEXT,
        state             TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'succeeded', 'failed', 'dead', 'cancelled')),
        priority          INTEGER NOT NULL DEFAULT 0,
        claim_token       TEXT,
        worker            TEXT,
        host              TEXT,
        leased_at         DOUBLE PRECISION,
        lease_expires_at  DOUBLE PRECISION,
        not_before        DOUBLE PRECISION,
        cancel_requested  INTEGER NOT NULL DEFAULT 0,
        attempts          INTEGER NOT NULL DEFAULT 0,
        error_count       INTEGER NOT NULL DEFAULT 0,
        lost_count        INTEGER NOT NULL DEFAULT 0,
        max_error_retries INTEGER NOT NULL DEFAULT 1,
        max_lost_retries  INTEGER NOT NULL DEFAULT 5,
        timeout_seconds   DOUBLE PRECISION NOT NULL DEFAULT 604800,
        last_epoch        INTEGER,
        last_loss         DOUBLE PRECISION,
        last_accuracy     DOUBLE PRECISION,
        last_heartbeat_at DOUBLE PRECISION,
        error             TEXT,
        created_at        DOUBLE PRECISION NOT NULL,
        updated_at        DOUBLE PRECISION NOT NULL,
        UNIQUE (config_hash, replica)
    );
    CREATE INDEX jobs_claim ON jobs(state, priority DESC, id);
    CREATE INDEX jobs_group ON jobs(group_hash);
    CREATE INDEX jobs_parent ON jobs(parent_hash);
    CREATE INDEX jobs_sweep ON jobs(sweep_id, state);
    CREATE INDEX jobs_leases ON jobs(lease_expires_at) WHERE state = 'leased';
    CREATE TABLE epochs (
        job_id         BIGINT NOT NULL REFERENCES jobs(id),
        epoch          INTEGER NOT NULL,
        train_loss     DOUBLE PRECISION NOT NULL,
        train_accuracy DOUBLE PRECISION NOT NULL,
        val_accuracy   DOUBLE PRECISION,
        learning_rate  DOUBLE PRECISION NOT NULL,
        seconds        DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (job_id, epoch)
    );
    CREATE TABLE results (
        job_id            BIGINT PRIMARY KEY REFERENCES jobs(id),
        test_accuracy     DOUBLE PRECISION NOT NULL,
        test_loss         DOUBLE PRECISION NOT NULL,
        val_accuracy      DOUBLE PRECISION,
        train_loss        DOUBLE PRECISION NOT NULL,
        train_seconds     DOUBLE PRECISION NOT NULL,
        images_per_second DOUBLE PRECISION NOT NULL,
        host              TEXT NOT NULL,
        threads           INTEGER NOT NULL,
        result            TEXT NOT NULL,
        finished_at       DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX results_accuracy ON results(test_accuracy DESC);
    CREATE TABLE attempts (
        id                 BIGSERIAL PRIMARY KEY,
        job_id             BIGINT NOT NULL REFERENCES jobs(id),
        attempt            INTEGER NOT NULL,
        worker             TEXT NOT NULL,
        host               TEXT NOT NULL,
        started_at         DOUBLE PRECISION NOT NULL,
        ended_at           DOUBLE PRECISION,
        outcome            TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'error', 'lost', 'timeout', 'released', 'cancelled')),
        error              TEXT,
        identity           TEXT,
        result_identity    TEXT,
        invalidated_at     DOUBLE PRECISION,
        invalidated_result TEXT,
        UNIQUE (job_id, attempt)
    );
    CREATE INDEX attempts_outcome ON attempts(outcome);
    CREATE TABLE job_artifacts (
        job_id      BIGINT PRIMARY KEY REFERENCES jobs(id),
        attempt     INTEGER NOT NULL,
        accepted    INTEGER NOT NULL DEFAULT 0,
        sha256      TEXT NOT NULL,
        size        BIGINT NOT NULL,
        data        BYTEA NOT NULL,
        created_at  DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE tokens (
        name        TEXT PRIMARY KEY,
        role        TEXT NOT NULL CHECK (role IN ('worker', 'admin')),
        sha256      TEXT NOT NULL UNIQUE,
        created_at  DOUBLE PRECISION NOT NULL,
        revoked_at  DOUBLE PRECISION
    );
    """
}

extension PostgresJobStore {
    /// Creates or upgrades the schema to ``PostgresSchema/version``, once however many
    /// coordinators start at the same time.
    ///
    /// - Throws: when the database holds a newer schema than this build knows.
    public func migrate() async throws {
        try await transaction { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock(?)", [PostgresSchema.lockKey])
            if let schema { try await tx.execute("CREATE SCHEMA IF NOT EXISTS \(schema)") }  // a checked name (init)
            try await tx.execute("CREATE TABLE IF NOT EXISTS fatnn_schema (version INTEGER NOT NULL)")
            let current = try await tx.row("SELECT max(version) AS v FROM fatnn_schema")?.get("v", as: Int?.self) ?? 0
            guard current <= PostgresSchema.version else {
                throw PostgresStoreError.newerSchema(found: current, known: PostgresSchema.version)
            }
            for v in current..<PostgresSchema.version {
                // One statement at a time: the extended protocol takes one per query.
                for statement in PostgresSchema.migrations[v].split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try await tx.execute(String(statement))
                }
                try await tx.execute("INSERT INTO fatnn_schema (version) VALUES (?)", [v + 1])
            }
        }
    }
}

/// Why the PostgreSQL store refused to start.
public enum PostgresStoreError: Error, CustomStringConvertible {
    /// The database was migrated by a newer build.
    case newerSchema(found: Int, known: Int)
    /// A query returned a column of a type the store does not read (a bug in its SQL).
    case unexpectedColumn(String, String)
    /// No connection to the database (or no migration) within the given time.
    case unreachable(seconds: Double)
    /// Dropping the schema of a store that has none of its own.
    case noSchemaToDrop
    /// A copy into a store that already holds this many jobs and sweeps.
    case notEmpty(Int)
    /// After a copy, a table holds another number of rows than its source.
    case countMismatch(String, source: Int, copied: Int)

    public var description: String {
        switch self {
        case .newerSchema(let found, let known):
            "the database's schema is version \(found), newer than this build's \(known): upgrade fatnn-coord"
        case .unexpectedColumn(let column, let type):
            "column \(column) came back as \(type), which the store does not read"
        case .notEmpty(let n):
            "the target store is not empty (\(n) jobs and sweeps): copy into a new database or schema (schema=NAME)"
        case .countMismatch(let table, let source, let copied):
            "table \(table): \(source) rows in the source, \(copied) copied (did the source change during the copy? stop its coordinator first)"
        case .noSchemaToDrop:
            "this store is in the database's default schema; it is not dropped"
        case .unreachable(let seconds):
            "no answer from the database within \(Int(seconds)) s (is the server running, and the URL's host, socket folder, user and database right?)"
        }
    }
}

extension PostgresJobStore {
    /// Drops this store's schema and everything in it (`fatnn-coord bench` removes its scratch
    /// schema so). Refused for a store in the database's default schema.
    public func dropSchema() async throws {
        guard let schema else { throw PostgresStoreError.noSchemaToDrop }
        try await transaction { tx in try await tx.execute("DROP SCHEMA \(schema) CASCADE") }  // a checked name (init)
    }
}
