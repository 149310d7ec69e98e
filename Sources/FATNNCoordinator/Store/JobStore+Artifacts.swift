import FATNNJobs
import Foundation
import GRDB

/// Trained models stored for the jobs that fine-tune from them.
extension JobStore {
    /// Stores the model a claimed job produced, keyed by the job's config hash. Storing again (a
    /// retried upload) replaces it.
    ///
    /// - Throws: ``StoreError/staleClaim(_:)`` unless `token` is the job's current claim.
    public func storeArtifact(job id: Int64, token: String, data: Data) throws {
        try write(artifactOp(job: id, token: token, data: data))
    }

    func artifactOp(job id: Int64, token: String, data: Data) -> @Sendable (Database) throws -> Void {
        let t = now()
        let digest = SHA256.hex([UInt8](data))
        return { db in
            guard let hash = try String.fetchOne(db, sql: """
                SELECT config_hash FROM jobs WHERE id = ? AND state IN ('leased', 'succeeded') AND claim_token = ?
                """, arguments: [id, token]) else {
                throw try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [id]) == nil
                    ? StoreError.jobNotFound(id) : StoreError.staleClaim(id)
            }
            try db.execute(sql: """
                INSERT OR REPLACE INTO artifacts (config_hash, job_id, sha256, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [hash, id, digest, data.count, data, t])
        }
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
