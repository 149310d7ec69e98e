import FATNNJobs
import Foundation
import GRDB

/// Trained models stored for the jobs that fine-tune from them: one per job (config hash and
/// replica), from the attempt that uploaded it, served only once that attempt's result is accepted.
extension JobStore {
    static func parentJob(_ alias: String) -> String { JobsSQL.parentJob(alias) }
    static func replicaJob(hash: String, replica: String) -> String { JobsSQL.replicaJob(hash: hash, replica: replica) }

    /// Stores the model a claimed job produced, for the claim's attempt. Storing again (a retried
    /// upload) replaces it; it is served once the attempt's result is accepted (at once if it
    /// already is).
    ///
    /// - Parameter sha256: the digest of `data` when the caller computed it while receiving it.
    /// - Throws: ``StoreError/staleClaim(_:)`` unless `token` is the job's current claim.
    public func storeArtifact(job id: Int64, token: String, data: Data, sha256: String? = nil) throws {
        try write(artifactOp(job: id, token: token, data: data, sha256: sha256))
    }

    /// The config of the job whose current claim is `token`, for checking an upload before its
    /// body is read.
    ///
    /// - Throws: ``StoreError/jobNotFound(_:)`` or ``StoreError/staleClaim(_:)``.
    public func artifactClaim(job id: Int64, token: String) throws -> JobConfig {
        try pool.read { try Self.artifactClaim($0, job: id, token: token) }
    }

    static func artifactClaim(_ db: Database, job id: Int64, token: String) throws -> JobConfig {
        try JobConfig.fromCanonical(try claimedConfigJSON(db, job: id, token: token))
    }

    /// The stored config of the job whose current claim is `token`, as canonical JSON.
    static func claimedConfigJSON(_ db: Database, job id: Int64, token: String) throws -> String {
        guard let config = try String.fetchOne(db, sql: """
            SELECT config FROM jobs WHERE id = ? AND state IN ('leased', 'succeeded') AND claim_token = ?
            """, arguments: [id, token]) else {
            throw try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [id]) == nil
                ? StoreError.jobNotFound(id) : StoreError.staleClaim(id)
        }
        return config
    }

    func artifactOp(job id: Int64, token: String, data: Data, sha256: String? = nil) -> @Sendable (Database) throws -> Void {
        let t = now()
        let digest = sha256 ?? SHA256.hex([UInt8](data))
        return { db in
            _ = try Self.claimedConfigJSON(db, job: id, token: token)  // the claim, checked; the config is not needed here
            // Once the job has succeeded, its accepted model is what its result describes: a
            // resend of the same bytes is fine, different bytes are refused.
            if let stored = try String.fetchOne(db, sql: """
                SELECT a.sha256 FROM job_artifacts a JOIN jobs j ON j.id = a.job_id
                WHERE a.job_id = ? AND a.accepted = 1 AND j.state = 'succeeded'
                """, arguments: [id]) {
                guard stored == digest else { throw StoreError.notAllowed(id, .succeeded, "replace the accepted model of") }
                return
            }
            try db.execute(sql: """
                INSERT OR REPLACE INTO job_artifacts (job_id, attempt, accepted, sha256, size, data, created_at)
                SELECT id, attempts, state = 'succeeded', ?, ?, ?, ? FROM jobs WHERE id = ?
                """, arguments: [digest, data.count, data, t, id])
        }
    }

    /// Marks the model of the attempt whose result was just accepted as the job's, and drops one
    /// left by an earlier attempt (whose result was never accepted).
    static func acceptArtifact(_ db: Database, job id: Int64) throws {
        try db.cachedStatement(sql: """
            DELETE FROM job_artifacts WHERE job_id = ? AND attempt != (SELECT attempts FROM jobs WHERE id = ?)
            """).execute(arguments: [id, id])
        try db.cachedStatement(sql: "UPDATE job_artifacts SET accepted = 1 WHERE job_id = ?").execute(arguments: [id])
    }

    /// Deletes the models stored for `configHash` (every replica; an administrator removing a bad
    /// one); jobs that start from them wait until new ones are stored.
    ///
    /// - Returns: whether a model was stored.
    public func deleteArtifact(configHash: String) throws -> Bool {
        try write { try Self.deleteArtifact($0, configHash: configHash) }
    }

    static func deleteArtifact(_ db: Database, configHash: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM job_artifacts WHERE job_id IN (SELECT id FROM jobs WHERE config_hash = ?)",
                       arguments: [configHash])
        return db.changesCount > 0
    }

    /// The accepted model of the job with `configHash` and `replica` (or, when that config has no
    /// such replica, its lowest one: the model a fine-tuning job of that replica starts from), with
    /// its SHA-256, or nil.
    public func artifact(configHash: String, replica: Int = 0) throws -> (data: Data, sha256: String)? {
        try pool.read { try Self.artifact($0, configHash: configHash, replica: replica) }
    }

    static func artifact(_ db: Database, configHash: String, replica: Int) throws -> (data: Data, sha256: String)? {
        try Row.fetchOne(db, sql: """
            SELECT a.data, a.sha256 FROM job_artifacts a
            WHERE a.accepted = 1 AND a.job_id = \(replicaJob(hash: "?", replica: "?"))
            """, arguments: [configHash, replica, configHash])
            .map { (data: $0["data"], sha256: $0["sha256"]) }
    }
}
