import FATNNCoordinator
import FATNNJobs

extension PostgresJobStore {
    public func curves(_ selection: JobCurves.Selection, limit: Int) async throws -> JobCurves {
        try await read { tx in
            let condition = JobCurves.condition(selection)
            let arg: any SQLBindable = switch selection {
            case .sweep(let name): name
            case .groupOf(let id): id
            }
            let rows = try await tx.rows(JobCurves.jobsSQL + " WHERE \(condition) ORDER BY j.id LIMIT ?", [arg, limit + 1])
            var jobs = try rows.prefix(limit).map { r in
                JobCurves.Job(id: try r.get("id"), state: JobState(rawValue: try r.get("state")) ?? .failed, sweep: try r.get("sweep"),
                              config: try JobConfig.fromCanonical(try r.get("config")), epochs: try r.get("epochs"), points: [])
            }
            var index: [Int64: Int] = [:]
            for (i, j) in jobs.enumerated() { index[j.id] = i }
            if let last = jobs.last?.id {
                for r in try await tx.rows(JobCurves.epochsSQL + " WHERE \(condition) AND j.id <= ? ORDER BY e.job_id, e.epoch", [arg, last]) {
                    guard let i = index[try r.get("job_id")] else { continue }
                    jobs[i].points.append((try r.get("epoch"), try r.get("val_accuracy"), try r.get("train_loss"), try r.get("seconds")))
                }
            }
            var document: String?
            if case .sweep(let name) = selection {
                document = try await tx.row("SELECT document FROM sweeps WHERE name = ?", [name])?.get("document")
            }
            return JobCurves(jobs: jobs, document: document, truncated: rows.count > limit)
        }
    }
}
