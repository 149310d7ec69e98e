import FATNNClient
import FATNNJobs
import Foundation
import Testing

/// Two `fatnn-coord serve` processes on one PostgreSQL store, workers given both
/// (`--coordinator A,B` or `B,A`), real (small) training jobs: coordinator A is killed with
/// SIGKILL mid-sweep and started again later. Every job ends succeeded with exactly one accepted
/// attempt, both coordinators answer alike, and the workers carried on through B. Short form: 3
/// workers, 8 jobs; `scripts/postgres_kill_test.sh` runs it at full size (FATNN_PG_KILL_WORKERS,
/// FATNN_PG_KILL_JOBS: 16 workers, 48 jobs).
@Suite(.serialized, .enabled(if: ProcessHarness.binDir != nil && postgresURL != nil,
                             "needs the built fatnn-coord and fatnn-worker and FATNN_TEST_POSTGRES"))
struct PostgresCoordinatorsTests {
    @Test func killingOneCoordinatorLosesNothing() async throws {
        let env = ProcessInfo.processInfo.environment
        let workers = env["FATNN_PG_KILL_WORKERS"].flatMap(Int.init) ?? 3, jobs = env["FATNN_PG_KILL_JOBS"].flatMap(Int.init) ?? 8
        // Heartbeats come once an epoch: many workers sharing 2 cores need longer leases.
        let lease = String(max(3, 2 * workers))
        let h = try ProcessHarness("pg2")
        defer { h.stopAll() }
        let schema = "rel" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let store = try #require(postgresURL) + "&schema=" + schema
        let admin = h.dir + "/admin.token", worker = h.dir + "/worker.token"
        try JobStoreTokens.write(admin, worker)
        func startCoordinator(_ name: String) async throws -> String {
            let portFile = h.dir + "/" + name + ".port"
            try? FileManager.default.removeItem(atPath: portFile)
            try h.start(name, "fatnn-coord", ["serve", "--store", store, "--token-file", admin, "--worker-token-file", worker,
                                              "--port", "0", "--port-file", portFile, "--lease-seconds", lease, "--backoff-seconds", "0"])
            try await waitUntil("\(name) writes its port file", timeout: 60) { FileManager.default.fileExists(atPath: portFile) }
            let port = try String(contentsOfFile: portFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return "http://127.0.0.1:\(port)"
        }
        let a = try await startCoordinator("coord-a"), b = try await startCoordinator("coord-b")
        let token = try String(contentsOfFile: admin, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let viaB = try CoordinatorClient(baseURL: b, token: token)
        let sweep = """
            { "name": "pg", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist", "validationFraction": 0.1, "trainLimit": 500},
              "training": {"epochs": 4, "batchSize": 50, "learningRate": 0.1} }, "seeds": [\((1...jobs).map(String.init).joined(separator: ","))],
              "retries": {"errors": 0, "lostWorkers": 5} }
            """
        _ = try await CoordinatorClient(baseURL: a, token: token).submit(document: Data(sweep.utf8))
        // Two of every three workers are given A first (so they must fail over), the rest B first.
        for (i, order) in (0..<workers).map({ $0 % 3 == 2 ? "\(b),\(a)" : "\(a),\(b)" }).enumerated() {
            try h.start("w\(i)", "fatnn-worker", ["--coordinator", order, "--token-file", worker, "--threads", "1", "--name", "w\(i)",
                                                 "--poll-seconds", "0.2", "--spool-dir", h.dir + "/spool-\(i)", "--checkpoint-dir", "none",
                                                 "--exit-when-idle", "--request-timeout", "5", "--fault-epoch-seconds", "0.4"])
        }
        try await waitUntil("a quarter of the jobs succeeded", timeout: 300) {
            ((try? await viaB.status())?.counts["succeeded"] ?? 0) >= max(2, jobs / 4)
        }
        try await h.stop("coord-a")
        let killedAt = Date().timeIntervalSince1970
        try await waitUntil("every job ended, through B", timeout: 900) {
            guard let c = try? await viaB.status().counts else { return false }
            return (c["queued"] ?? 0) + (c["leased"] ?? 0) == 0
        }
        let counts = try await viaB.status().counts
        #expect(counts["succeeded"] == jobs, "\(counts)")
        let again = try CoordinatorClient(baseURL: try await startCoordinator("coord-a2"), token: token)

        var failedOver = false
        for id in 1...Int64(jobs) {
            let d = try await viaB.job(id)
            #expect(d.row.state == .succeeded && d.result != nil)
            #expect(d.attempts.filter { $0.outcome == .ok }.count == 1, "job \(id): \(d.attempts.map(\.outcome))")
            // An attempt that ended after A died was reported through B: a worker given A first
            // either finished its running job there or claimed a new one there. (Requiring a new
            // claim failed now and then: the worker given B first can take every job left while
            // the others spend up to the 3-s connect timeout on A.)
            failedOver = failedOver || d.attempts.contains { a in
                a.outcome == .ok && (a.endedAt ?? 0) > killedAt && (Int(a.worker.dropFirst()) ?? 2) % 3 != 2
            }
        }
        #expect(failedOver, "a worker given A first reported a job through B after A died")
        #expect(try await again.status() == (try await viaB.status()))
        #expect(try await again.leaderboard().filter { $0.testAccuracy != nil }.count == jobs)
        for i in 0..<workers { #expect(try await waitForExit(h, "w\(i)") == 0, "worker \(i) exits 0 once the queue is empty") }
    }

    func waitForExit(_ h: ProcessHarness, _ name: String) async throws -> Int32 {
        let p = try #require(h.others[name])
        try await waitUntil("\(name) exits", timeout: 60) { !p.isRunning }
        return p.terminationStatus
    }
}

/// The PostgreSQL server of the store tests (`scripts/test.sh` starts one).
let postgresURL = ProcessInfo.processInfo.environment["FATNN_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

/// Two fresh random token files, as `fatnn-coord serve` would create them.
enum JobStoreTokens {
    static func write(_ admin: String, _ worker: String) throws {
        for path in [admin, worker] {
            let token = (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: .min ... .max)) }.joined()
            try token.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o600)
        }
    }
}
