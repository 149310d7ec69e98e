import FATNNCoordinator
import FATNNJobs
import Foundation
import NIOCore

/// Submissions and the models jobs produce.
extension PostgresJobStore {
    /// Stores a sweep's jobs (as ``JobStore/submit(_:document:replicate:)``: deduplicated by
    /// config hash unless `replicate` asks for copies; every parent stored or earlier in the sweep).
    public func submit(_ sweep: Sweep, document: String, replicate: Int) async throws -> API.SubmitResponse {
        let t = now()
        let ids = JobConfig.identities(of: sweep.jobs)
        let total = sweep.jobs.count * max(1, replicate)
        guard total <= Sweep.maxJobs else {
            throw StoreError.invalid(SweepError(path: "replicate", "\(sweep.jobs.count) jobs x \(replicate) copies is \(total) jobs; the limit is \(Sweep.maxJobs) per submission"))
        }
        let response = try await transaction { tx in
            let sweepId: Int64 = try await tx.row("""
                INSERT INTO sweeps (name, document, submitted_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET document = excluded.document, submitted_at = excluded.submitted_at
                RETURNING id
                """, [sweep.name, document, t])!.get("id")
            var known = Set<String>()
            for (i, job) in sweep.jobs.enumerated() {
                if let parent = job.initFrom, !known.contains(parent),
                   try await tx.row("SELECT 1 AS x FROM jobs WHERE config_hash = ? LIMIT 1", [parent]) == nil {
                    throw StoreError.invalid(SweepError(path: "jobs[\(i)].initFrom", "no job with config hash \(parent) is stored or comes earlier in this sweep"))
                }
                known.insert(ids[i].configHash)
            }
            let p = sweep.policy
            var added = 0, groups: [String: String] = [:], pending: [[any SQLBindable]] = []
            // Many jobs per INSERT (one per job took 30 s for 100,000); a job's replicas are
            // numbered after the stored ones, so with `replicate` each job is inserted at once.
            func flush() async throws {
                guard !pending.isEmpty else { return }
                let row = "(" + Array(repeating: "?", count: 21).joined(separator: ", ") + ", 'queued')"
                added += try await tx.rows("""
                    INSERT INTO jobs (sweep_id, config_hash, replica, group_hash, config, model, dataset, split, quantizer,
                                      learning_rate, seed, epochs, parent_hash, priority, max_error_retries,
                                      max_lost_retries, timeout_seconds, created_at, updated_at, stage, pruning, state)
                    VALUES \(Array(repeating: row, count: pending.count).joined(separator: ", "))
                    ON CONFLICT (config_hash, replica) DO NOTHING
                    RETURNING id
                    """, pending.flatMap { $0 }).count
                pending.removeAll(keepingCapacity: true)
            }
            for (i, (job, id)) in zip(sweep.jobs, ids).enumerated() {
                var group = id.groupHash
                if let parent = job.initFrom {
                    var parentGroup = groups[parent]
                    if parentGroup == nil {
                        parentGroup = try await tx.row("SELECT group_hash FROM jobs WHERE config_hash = ? LIMIT 1", [parent])?.get("group_hash")
                    }
                    group = job.groupHash(parentGroup: parentGroup)
                }
                groups[id.configHash] = group
                var replicas = [0]
                if replicate > 0 {
                    try await flush()
                    let next = try await tx.row("SELECT max(replica) + 1 AS next FROM jobs WHERE config_hash = ?", [id.configHash])?
                        .get("next", as: Int?.self) ?? 0
                    replicas = Array(next..<(next + replicate))
                }
                for replica in replicas {
                    pending.append([sweepId, id.configHash, replica, group, id.canonicalJSON, job.model.rawValue, job.dataset.name.rawValue,
                                    job.splitLabel, job.quantizer.kind.rawValue, job.training.learningRate, job.seed, job.training.epochs,
                                    job.initFrom, p.priority, p.errorRetries, p.lostRetries, p.timeoutSeconds, t, t,
                                    sweep.stage(of: i), sweep.pruningJSON(of: i)])
                    if pending.count == 500 || replicate > 0 { try await flush() }
                }
            }
            try await flush()
            try await failOrphans(tx, now: t)
            return API.SubmitResponse(sweepId: sweepId, name: sweep.name, jobs: sweep.jobs.count, added: added, duplicates: total - added)
        }
        // Fresh statistics after a large submission: with the old ones the planner walks every
        // queued job for each claim (15 ms per claim at 20,000 jobs) instead of the claim index.
        if response.added >= 1000 { try await read { tx in try await tx.execute("ANALYZE jobs, sweeps") } }
        return response
    }

    public func artifactClaim(job id: Int64, token: String) async throws -> JobConfig {
        try JobConfig.fromCanonical(try await transaction { tx in try await claimedConfig(tx, job: id, token: token) })
    }

    /// The stored config of the job whose current claim is `token`.
    func claimedConfig(_ tx: PostgresTx, job id: Int64, token: String) async throws -> String {
        guard let r = try await tx.row("SELECT config FROM jobs WHERE id = ? AND state IN ('leased', 'succeeded') AND claim_token = ?",
                                       [id, token]) else {
            throw try await tx.row("SELECT 1 AS x FROM jobs WHERE id = ?", [id]) == nil ? StoreError.jobNotFound(id) : StoreError.staleClaim(id)
        }
        return try r.get("config")
    }

    public func storeArtifact(job id: Int64, token: String, data: Data, sha256: String?) async throws {
        let t = now(), digest = sha256 ?? SHA256.hex([UInt8](data))
        try await transaction { tx in
            _ = try await claimedConfig(tx, job: id, token: token)
            // Once the job has succeeded, a resend of its accepted model is fine, other bytes are refused.
            if let stored = try await tx.row("""
                SELECT a.sha256 FROM job_artifacts a JOIN jobs j ON j.id = a.job_id
                WHERE a.job_id = ? AND a.accepted = 1 AND j.state = 'succeeded'
                """, [id]) {
                guard try stored.get("sha256", as: String.self) == digest else {
                    throw StoreError.notAllowed(id, .succeeded, "replace the accepted model of")
                }
                return
            }
            try await tx.execute("""
                INSERT INTO job_artifacts (job_id, attempt, accepted, sha256, size, created_at, data)
                SELECT id, attempts, CASE WHEN state = 'succeeded' THEN 1 ELSE 0 END, ?, ?, ?, ? FROM jobs WHERE id = ?
                ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, accepted = excluded.accepted, sha256 = excluded.sha256,
                    size = excluded.size, created_at = excluded.created_at, data = excluded.data
                """, [digest, data.count, t, data, id])
        }
    }

    public func deleteArtifact(configHash: String) async throws -> Bool {
        try await transaction { tx in
            try await !tx.rows("DELETE FROM job_artifacts WHERE job_id IN (SELECT id FROM jobs WHERE config_hash = ?) RETURNING job_id",
                               [configHash]).isEmpty
        }
    }

    public func artifact(configHash: String, replica: Int) async throws -> (data: Data, sha256: String)? {
        try await read { tx -> (data: Data, sha256: String)? in
            guard let r = try await tx.row("""
                SELECT a.data, a.sha256 FROM job_artifacts a
                WHERE a.accepted = 1 AND a.job_id = \(JobsSQL.replicaJob(hash: "?", replica: "?"))
                """, [configHash, replica, configHash]) else { return nil }
            let bytes = try r.get("data", as: ByteBuffer.self)
            return (data: Data(bytes.readableBytesView), sha256: try r.get("sha256"))
        }
    }
}
