/// SQL over the `jobs` table shared by every store backend (plain SQL that SQLite and
/// PostgreSQL both run).
public enum JobsSQL {
    /// SQL for the id of the job whose model the job aliased `alias` starts from: the job with its
    /// parent's config hash and the same replica, or, when the parent config has no such replica,
    /// its lowest replica.
    public static func parentJob(_ alias: String) -> String { replicaJob(hash: "\(alias).parent_hash", replica: "\(alias).replica") }

    /// SQL for the id of the job with config hash `hash` and replica `replica` (SQL expressions or
    /// parameters), or, when that config has no such replica, its lowest one.
    public static func replicaJob(hash: String, replica: String) -> String {
        """
        COALESCE((SELECT pj.id FROM jobs pj WHERE pj.config_hash = \(hash) AND pj.replica = \(replica)), \
        (SELECT pj.id FROM jobs pj WHERE pj.config_hash = \(hash) ORDER BY pj.replica LIMIT 1))
        """
    }

    /// The claim as one statement: picks the highest-priority, oldest job that the lifecycle's
    /// claimable rule allows, in an unpaused sweep, with a parent (for a fine-tuning job) that
    /// succeeded and stored its model, and sets the `claim` transition
    /// (``JobLifecycle/claimSetSQL``) plus the progress columns a new attempt starts from.
    /// Parameters: token, now, now + lease, worker, host, now, now, now. Returns the job's id,
    /// config, attempts and replica.
    ///
    /// - Parameter lock: appended to the pick (PostgreSQL: `FOR UPDATE OF j SKIP LOCKED`, so that
    ///   concurrent claims take different jobs; SQLite has one writer and needs none).
    public static func claim(lock: String = "") -> String {
        """
        UPDATE jobs SET \(JobLifecycle.claimSet(token: "?")), \(claimProgressSQL(worker: "?", host: "?"))
        WHERE id = (\(claimPick(columns: "j.id", limit: "1", lock: lock)))
        RETURNING id, config, attempts, replica
        """
    }

    /// The claimable jobs a claim takes, best first: `columns` of at most `limit` jobs (a
    /// literal or a placeholder) of `jobs j`, with `lock` appended. One parameter: now.
    public static func claimPick(columns: String, limit: String, lock: String = "") -> String {
        """
        SELECT \(columns) FROM jobs j JOIN sweeps s ON s.id = j.sweep_id
        WHERE \(JobLifecycle.claimableSQL("j")) AND s.paused = 0
          AND (j.parent_hash IS NULL OR EXISTS (
            SELECT 1 FROM jobs p JOIN job_artifacts a ON a.job_id = p.id AND a.accepted = 1
            WHERE p.id = \(parentJob("j")) AND p.state = 'succeeded'))
        ORDER BY j.priority DESC, j.id LIMIT \(limit) \(lock)
        """
    }

    /// The columns a claim sets besides the lifecycle's: who runs the attempt, and its progress
    /// cleared. Parameters: now (heartbeat), now (updated).
    public static func claimProgressSQL(worker: String, host: String) -> String {
        """
        worker = \(worker), host = \(host), last_epoch = NULL, last_loss = NULL, last_accuracy = NULL, \
        last_heartbeat_at = ?, updated_at = ?
        """
    }

    /// Whether jobs are pending (queued in an unpaused sweep, or leased), as column `pending`:
    /// what a claim that found nothing tells idle workers.
    public static let pending = """
        SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'leased')
            OR EXISTS (SELECT 1 FROM jobs j JOIN sweeps s ON s.id = j.sweep_id WHERE j.state = 'queued' AND s.paused = 0) AS pending
        """
}

extension JobsSQL {
    /// Per sweep name: epochs still to run (queued jobs in full, running ones the rest of theirs).
    public static let remainingEpochsSQL = """
        SELECT s.name, sum(CASE WHEN j.state = 'queued' THEN j.epochs
                                WHEN j.epochs > coalesce(j.last_epoch, 0) THEN j.epochs - coalesce(j.last_epoch, 0) ELSE 0 END) AS remaining
        FROM jobs j JOIN sweeps s ON s.id = j.sweep_id WHERE j.state IN ('queued', 'leased') GROUP BY s.name
        """

    /// Per sweep name: mean seconds of the epochs its running jobs have reported.
    public static let runningEpochSecondsSQL = """
        SELECT s.name, avg(e.seconds) AS pace FROM jobs j JOIN sweeps s ON s.id = j.sweep_id JOIN epochs e ON e.job_id = j.id
        WHERE j.state = 'leased' GROUP BY s.name
        """
}

extension JobsSQL {
    /// One row when job `?` (its id) has a queued job that starts from it.
    public static let hasQueuedChildren = """
        SELECT 1 AS x FROM jobs c WHERE c.state = 'queued' AND c.parent_hash = (SELECT config_hash FROM jobs WHERE id = ?) LIMIT 1
        """
}
