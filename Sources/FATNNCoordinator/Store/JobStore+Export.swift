import FATNNJobs
import Foundation
import GRDB

extension JobStore {
    /// Every job (of `sweep`, if given) with its config, attempts and result, by id.
    public func export(sweep: String? = nil) throws -> [API.ExportRecord] {
        try pool.read { db in
            var attempts: [Int64: [API.Attempt]] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT job_id, attempt, worker, host, started_at, ended_at, outcome, error FROM attempts ORDER BY job_id, attempt") {
                attempts[r["job_id"], default: []].append(API.Attempt(attempt: r["attempt"], worker: r["worker"], host: r["host"],
                                                                     startedAt: r["started_at"], endedAt: r["ended_at"],
                                                                     outcome: AttemptOutcome(rawValue: r["outcome"]) ?? .error, error: r["error"]))
            }
            var sql = """
                SELECT j.id, s.name AS sweep, j.state, j.config_hash, j.group_hash, j.replica, j.seed, j.config, j.error, r.result
                FROM jobs j JOIN sweeps s ON s.id = j.sweep_id LEFT JOIN results r ON r.job_id = j.id
                """
            var args = StatementArguments()
            if let sweep { sql += " WHERE s.name = ?"; args += [sweep] }
            let decoder = JSONDecoder()
            return try Row.fetchAll(db, sql: sql + " ORDER BY j.id", arguments: args).map { r in
                let id: Int64 = r["id"]
                return API.ExportRecord(
                    id: id, sweep: r["sweep"], state: JobState(rawValue: r["state"]) ?? .failed, configHash: r["config_hash"],
                    groupHash: r["group_hash"], replica: r["replica"], seed: r["seed"], config: try JobConfig.fromCanonical(r["config"]),
                    error: r["error"], attempts: attempts[id] ?? [],
                    result: try (r["result"] as String?).map { try decoder.decode(JobResult.self, from: Data($0.utf8)) })
            }
        }
    }
}
