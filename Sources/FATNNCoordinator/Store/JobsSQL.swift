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
}
