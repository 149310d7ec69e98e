@testable import FATNNCoordinator
import FATNNJobs
import FATNNPostgresStore
import Foundation
import Testing

/// The reads of ``JobReadStore`` on PostgreSQL against SQLite's: one script of events (priorities,
/// fine-tuning parents, epochs, results with packed figures, a job error with backoff, a cancel,
/// an invalidation, a paused sweep) on both stores with the same clock, then every read compared
/// as JSON: job details, leaderboard rows, progress, export, counts, curves and metrics.
@Suite(.enabled(if: PostgresFixtures.url != nil, PostgresFixtures.skipReason))
struct StoreReadParityTests {
    @Test func postgreSQLReadsWhatSQLiteReads() async throws {
        let sqliteClock = TestClock()
        let sqlite = try await Self.script(try JobStore(path: temporaryDatabase(), leaseSeconds: 60, backoffSeconds: 7,
                                                        clock: { sqliteClock.now }).queue, clock: sqliteClock)
        let pgClock = TestClock()
        let postgres = try await PostgresFixtures.withStore(leaseSeconds: 60, backoffSeconds: 7, clock: pgClock) {
            try await Self.script($0, clock: pgClock)
        }
        #expect(sqlite.keys.sorted() == postgres.keys.sorted())
        for key in sqlite.keys.sorted() {
            #expect(postgres[key] == sqlite[key], "\(key):\nSQLite     \(sqlite[key] ?? "")\nPostgreSQL \(postgres[key] ?? "")")
        }
        #expect(sqlite["job 1"]?.contains("\"packedExact\":true") == true, "the script reaches the packed fields")
    }

    /// Runs the events and returns every read, JSON-encoded with sorted keys.
    static func script(_ store: some JobLifecycleStore & JobReadStore, clock: TestClock) async throws -> [String: String] {
        try await events(store, clock: clock)
        return try await reads(store)
    }

    /// The script's events.
    static func events(_ store: some JobLifecycleStore, clock: TestClock) async throws {
        for text in [LifecycleParityTests.staged, LifecycleParityTests.urgent] {
            _ = try await store.submit(try Sweep.parse(Data(text.utf8)), document: text, replicate: 0)
        }
        func claim() async throws -> API.ClaimedJob {
            clock.advance(1)
            return try #require(try JSONDecoder().decode(API.ClaimResponse.self,
                                                         from: await store.claimJSON(worker: "w", host: "h", identity: "gpu").body).job)
        }
        func finish(_ job: API.ClaimedJob, accuracy: Double, packed: Bool) async throws {
            clock.advance(2)
            _ = try await store.heartbeat(job: job.id, token: job.claimToken,
                                          epoch: EpochReport(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.7, validationAccuracy: 0.65,
                                                             learningRate: 0.1, seconds: 2))
            var r = sampleResult(accuracy)
            if packed {
                r.packedExact = true
                r.packed = PackedInference(kernelPath: "avx2", kernel: "fatnn", cpu: "c", testImages: 10, latencyBatch1: 0.001,
                                           latencyBatch64: 0.016, floatLatencyBatch1: 0.002, floatLatencyBatch64: 0.05)
            }
            try await store.storeArtifact(job: job.id, token: job.claimToken, data: Data("model \(job.id)".utf8), sha256: nil)
            try await store.complete(job: job.id, token: job.claimToken, result: r, identity: "gpu")
        }
        // Jobs 1-2: the staged sweep's fp stage; 3-6 fine-tune from them; 7-8: urgent (priority 5).
        try await finish(try await claim(), accuracy: 0.81, packed: false)   // job 7
        let failing = try await claim()                                        // job 8: fails, backs off
        try await store.fail(job: failing.id, token: failing.token, error: "diverged")
        try await finish(try await claim(), accuracy: 0.9, packed: true)       // job 1: its children become claimable
        let running = try await claim()                                        // job 2, asked to cancel below
        _ = try await store.heartbeat(job: running.id, token: running.claimToken,
                                      epoch: EpochReport(epoch: 1, trainLoss: 0.4, trainAccuracy: 0.8, validationAccuracy: nil,
                                                         learningRate: 0.05, seconds: 3))
        _ = try await store.cancel(jobs: [2], sweep: nil)
        try await store.invalidate(jobs: [7], reason: "checked by hand")
        try await store.setPaused(sweep: "urgent", true)
        clock.advance(5)
    }

    /// Every read, JSON-encoded with sorted keys.
    static func reads(_ store: some JobReadStore) async throws -> [String: String] {
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys]
        func text(_ v: some Encodable) throws -> String { String(decoding: try json.encode(v), as: UTF8.self) }
        var out: [String: String] = [:]
        for id in 1...9 as ClosedRange<Int64> { out["job \(id)"] = try text(try await store.jobDetail(id)) }
        out["leaderboard"] = try text(try await store.leaderboard(limit: 100))
        out["progress"] = try text(try await store.progress())
        out["export"] = try text(try await store.export(sweep: nil))
        out["export staged"] = try text(try await store.export(sweep: "staged"))
        out["counts"] = try text(try await store.counts())
        for (name, selection) in [("curves staged", JobCurves.Selection.sweep("staged")), ("curves group of 1", .groupOf(job: 1)),
                                  ("curves urgent, 1 job", .sweep("urgent"))] {
            let c = try await store.curves(selection, limit: name.hasSuffix("1 job") ? 1 : 100)
            out[name] = "\(c.truncated) \(c.document ?? "-") " + c.jobs.map { j in
                "\(j.id) \(j.state) \(j.sweep) \(j.config.configHash) \(j.epochs) \(j.points.map { "\($0.epoch):\($0.valAcc ?? -1):\($0.trainLoss):\($0.seconds)" })"
            }.joined(separator: "; ")
        }
        let m = try await store.metrics()
        out["metrics"] = "\(m.jobs.sorted { $0.key.rawValue < $1.key.rawValue }) \(m.attempts.sorted { $0.key.rawValue < $1.key.rawValue }) \(m.pausedSweeps)"
        return out
    }
}

private extension API.ClaimedJob { var token: String { claimToken } }
