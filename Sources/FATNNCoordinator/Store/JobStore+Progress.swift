import FATNNJobs
import Foundation
import GRDB

extension JobStore {
    /// Jobs per state per sweep, and every running job with its last heartbeat.
    public func progress() throws -> API.ProgressReport {
        let t = now()
        return try pool.read { try Self.progress($0, now: t) }
    }

    static func progress(_ db: Database, now t: Double) throws -> API.ProgressReport {
        var sweeps: [String: API.ProgressReport.SweepCounts] = [:]
        var order: [String] = []
        for r in try Row.fetchAll(db, sql: "SELECT name, paused FROM sweeps ORDER BY id") {
            let name: String = r["name"]
            order.append(name)
            sweeps[name] = .init(name: name, paused: r["paused"], counts: Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, 0) }))
        }
        for r in try Row.fetchAll(db, sql: "SELECT s.name, j.state, count(*) AS n FROM jobs j JOIN sweeps s ON s.id = j.sweep_id GROUP BY s.name, j.state") {
            sweeps[r["name"]]?.counts[r["state"]] = r["n"]
        }
        for name in order { sweeps[name]?.remainingEpochs = 0 }
        for r in try Row.fetchAll(db, sql: JobsSQL.remainingEpochsSQL) { sweeps[r["name"]]?.remainingEpochs = r["remaining"] }
        for r in try Row.fetchAll(db, sql: JobsSQL.runningEpochSecondsSQL) { sweeps[r["name"]]?.secondsPerEpoch = r["pace"] }
        let live = try Row.fetchAll(db, sql: """
            SELECT j.id, s.name, j.worker, j.host, j.last_epoch, j.epochs, j.last_loss, j.last_accuracy, j.last_heartbeat_at, j.cancel_requested
            FROM jobs j JOIN sweeps s ON s.id = j.sweep_id WHERE j.state = 'leased' ORDER BY j.id LIMIT 1000
            """).map { r in
            API.ProgressReport.LiveJob(id: r["id"], sweep: r["name"], worker: r["worker"], host: r["host"], epoch: r["last_epoch"],
                                       epochs: r["epochs"], loss: r["last_loss"], accuracy: r["last_accuracy"],
                                       heartbeatAge: (r["last_heartbeat_at"] as Double?).map { t - $0 }, cancelRequested: r["cancel_requested"])
        }
        return API.ProgressReport(sweeps: order.compactMap { sweeps[$0] }, live: live)
    }
}
