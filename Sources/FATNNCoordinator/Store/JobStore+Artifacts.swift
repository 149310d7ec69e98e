import FATNNJobs
import Foundation
import GRDB

/// Trained models stored for the jobs that fine-tune from them.
extension JobStore {
    /// Stores the model a claimed job produced, keyed by the job's config hash. Storing again (a
    /// retried upload) replaces it.
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
        guard let config = try String.fetchOne(db, sql: """
            SELECT config FROM jobs WHERE id = ? AND state IN ('leased', 'succeeded') AND claim_token = ?
            """, arguments: [id, token]) else {
            throw try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [id]) == nil
                ? StoreError.jobNotFound(id) : StoreError.staleClaim(id)
        }
        return try JobConfig.fromCanonical(config)
    }

    func artifactOp(job id: Int64, token: String, data: Data, sha256: String? = nil) -> @Sendable (Database) throws -> Void {
        let t = now()
        let digest = sha256 ?? SHA256.hex([UInt8](data))
        return { db in
            let hash = try Self.artifactClaim(db, job: id, token: token).configHash
            try db.execute(sql: """
                INSERT OR REPLACE INTO artifacts (config_hash, job_id, sha256, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [hash, id, digest, data.count, data, t])
        }
    }

    /// Deletes the model stored for `configHash` (an administrator removing a bad one); jobs that
    /// start from it wait until a new one is stored.
    ///
    /// - Returns: whether a model was stored.
    public func deleteArtifact(configHash: String) throws -> Bool {
        try write { try Self.deleteArtifact($0, configHash: configHash) }
    }

    static func deleteArtifact(_ db: Database, configHash: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM artifacts WHERE config_hash = ?", arguments: [configHash])
        return db.changesCount > 0
    }

    /// The model stored for the job with `configHash`, with its SHA-256, or nil.
    public func artifact(configHash: String) throws -> (data: Data, sha256: String)? {
        try pool.read { try Self.artifact($0, configHash: configHash) }
    }

    static func artifact(_ db: Database, configHash: String) throws -> (data: Data, sha256: String)? {
        try Row.fetchOne(db, sql: "SELECT data, sha256 FROM artifacts WHERE config_hash = ?", arguments: [configHash])
            .map { (data: $0["data"], sha256: $0["sha256"]) }
    }
}
