import FATNNJobs
import Foundation
import GRDB

/// The training curves of a set of jobs (a sweep's, or one config's seeds), for the dashboard's
/// sweep and group pages.
public struct JobCurves: Sendable {
    /// Which jobs.
    public enum Selection: Sendable, Equatable {
        /// Every job of the sweep with this name.
        case sweep(String)
        /// Every job of the group (config without seed) of this job.
        case groupOf(job: Int64)
    }

    public struct Job: Sendable {
        public var id: Int64
        public var state: JobState
        public var sweep: String
        public var config: JobConfig
        /// Epochs the job runs when it is not stopped.
        public var epochs: Int
        /// (epoch, validation accuracy, train loss, seconds) of every epoch reported, in order.
        public var points: [(epoch: Int, valAcc: Double?, trainLoss: Double, seconds: Double)]

        public init(id: Int64, state: JobState, sweep: String, config: JobConfig, epochs: Int,
                    points: [(epoch: Int, valAcc: Double?, trainLoss: Double, seconds: Double)]) {
            self.id = id; self.state = state; self.sweep = sweep; self.config = config; self.epochs = epochs; self.points = points
        }
    }

    public var jobs: [Job]
    /// The sweep's last submitted document (sweep selection only).
    public var document: String?
    /// More jobs matched than the limit: only the first ones (by id) are here.
    public var truncated: Bool

    public init(jobs: [Job], document: String?, truncated: Bool) {
        self.jobs = jobs; self.document = document; self.truncated = truncated
    }

    /// The SQL condition on `jobs j` / `sweeps s` for a selection (one placeholder: its name or job id).
    public static func condition(_ s: Selection) -> String {
        switch s {
        case .sweep: "s.name = ?"
        case .groupOf: "j.group_hash = (SELECT group_hash FROM jobs WHERE id = ?)"
        }
    }

    /// The jobs, to be followed by ` WHERE condition ORDER BY j.id LIMIT ?`.
    public static let jobsSQL = "SELECT j.id, j.state, s.name AS sweep, j.config, j.epochs FROM jobs j JOIN sweeps s ON s.id = j.sweep_id"
    /// Their epochs, to be followed by ` WHERE condition AND j.id <= ? ORDER BY e.job_id, e.epoch`.
    public static let epochsSQL = """
        SELECT e.job_id, e.epoch, e.val_accuracy, e.train_loss, e.seconds FROM epochs e
        JOIN jobs j ON j.id = e.job_id JOIN sweeps s ON s.id = j.sweep_id
        """
}

extension JobStore {
    /// The curves of the jobs `selection` names, the first `limit` by id.
    static func curves(_ db: Database, _ selection: JobCurves.Selection, limit: Int) throws -> JobCurves {
        let condition = JobCurves.condition(selection)
        let arg: any DatabaseValueConvertible = switch selection {
        case .sweep(let name): name
        case .groupOf(let id): id
        }
        let rows = try Row.fetchAll(db, sql: JobCurves.jobsSQL + " WHERE \(condition) ORDER BY j.id LIMIT ?", arguments: [arg, limit + 1])
        var jobs = try rows.prefix(limit).map { r in
            JobCurves.Job(id: r["id"], state: JobState(rawValue: r["state"]) ?? .failed, sweep: r["sweep"],
                          config: try JobConfig.fromCanonical(r["config"]), epochs: r["epochs"], points: [])
        }
        var index: [Int64: Int] = [:]
        for (i, j) in jobs.enumerated() { index[j.id] = i }
        if let last = jobs.last?.id {
            for r in try Row.fetchAll(db, sql: JobCurves.epochsSQL + " WHERE \(condition) AND j.id <= ? ORDER BY e.job_id, e.epoch",
                                      arguments: [arg, last]) {
                guard let i = index[r["job_id"]] else { continue }
                jobs[i].points.append((r["epoch"], r["val_accuracy"], r["train_loss"], r["seconds"]))
            }
        }
        var document: String?
        if case .sweep(let name) = selection {
            document = try String.fetchOne(db, sql: "SELECT document FROM sweeps WHERE name = ?", arguments: [name])
        }
        return JobCurves(jobs: jobs, document: document, truncated: rows.count > limit)
    }
}
