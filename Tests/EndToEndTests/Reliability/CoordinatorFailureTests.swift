import FATNNClient
import FATNNCoordinator
import FATNNJobs
import Foundation
import Testing

/// A coordinator that is killed and restarted under live workers, many concurrent workers, and
/// workers on another network host: real processes, real SQLite file, real HTTP.
@Suite(.serialized, .enabled(if: ProcessHarness.binDir != nil, "needs the built fatnn-coord and fatnn-worker"))
struct CoordinatorFailureTests {
    /// 3. kill -9 the coordinator at random points while workers run, restart it each time →
    /// `PRAGMA integrity_check` ok, every result a worker saw acknowledged is present, no job
    /// both queued and done. (`scripts/chaos.sh` loops this longer.)
    @Test func coordinatorKilledRepeatedlyLosesNothing() async throws {
        let h = try ProcessHarness("coordkill")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 4)
        _ = try await h.submit(jobs: 8, epochs: 4)
        try h.startWorker("w1", slowEpochs: 0.4)
        try h.startWorker("w2", slowEpochs: 0.4)
        let c = try h.client()
        try await waitUntil("a job is running", timeout: 120) { (try? await c.status())?.counts["leased"] ?? 0 > 0 }
        var rng = SystemRandomNumberGenerator()
        var killedWhileRunning = 0
        for _ in 0..<3 {
            try await Task.sleep(nanoseconds: UInt64.random(in: 500_000_000...2_500_000_000, using: &rng))
            if (try? await c.status())?.counts["succeeded"] ?? 8 < 8 { killedWhileRunning += 1 }
            try await h.stopCoordinator(SIGKILL)
            try await Task.sleep(nanoseconds: 500_000_000)
            try await h.startCoordinator(lease: 4)
        }
        #expect(killedWhileRunning >= 1, "the coordinator was killed while jobs were unfinished")
        try await waitUntil("all 8 jobs succeeded", timeout: 240) { (try? await c.status())?.counts["succeeded"] == 8 }
        h.signal("w1", SIGTERM)
        h.signal("w2", SIGTERM)
        try await h.waitForWorker("w1")
        try await h.waitForWorker("w2")
        let rows = try await c.leaderboard()
        #expect(rows.count == 8)
        for r in rows { #expect((r.state == .succeeded) == (r.testAccuracy != nil), "job \(r.id): \(r.state) with result \(String(describing: r.testAccuracy))") }
        // Every result a worker logged as acknowledged ("job N done") is stored.
        let acknowledged = Set((h.log("w1") + h.log("w2")).split(separator: "\n").compactMap { line -> Int64? in
            guard let r = line.range(of: #"job (\d+) done"#, options: .regularExpression) else { return nil }
            return Int64(line[r].split(separator: " ")[1])
        })
        #expect(!acknowledged.isEmpty)
        for id in acknowledged { #expect(try await c.job(id).result != nil, "job \(id) was acknowledged") }
        try await h.stopCoordinator(SIGKILL)
        #expect(try JobStore(path: h.db).integrityCheck() == "ok")
    }

    /// 4. A coordinator restart with live workers: they re-attach within the grace period and no
    /// job is re-queued (every job has one attempt, ok), although it was down longer than a lease.
    @Test func restartedCoordinatorKeepsLiveWorkersJobs() async throws {
        let h = try ProcessHarness("restart")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 3)
        _ = try await h.submit(jobs: 2, epochs: 12)
        try h.startWorker("a", extra: ["--exit-when-idle"], slowEpochs: 0.8)
        try h.startWorker("b", extra: ["--exit-when-idle"], slowEpochs: 0.8)
        let c = try h.client()
        try await waitUntil("both jobs are running", timeout: 120) {
            let a = try? await c.job(1), b = try? await c.job(2)
            return (a?.epochs.count ?? 0) >= 1 && (b?.epochs.count ?? 0) >= 1
        }
        try await h.stopCoordinator(SIGKILL)
        try await Task.sleep(nanoseconds: 4_000_000_000)  // longer than the lease
        try await h.startCoordinator(lease: 3)
        #expect(try await h.waitForWorker("a", timeout: 180) == 0)
        #expect(try await h.waitForWorker("b", timeout: 180) == 0)
        for id: Int64 in [1, 2] {
            let d = try await c.job(id)
            #expect(d.row.state == .succeeded && d.attempts.map(\.outcome) == [.ok], "job \(id): \(d.attempts)")
        }
        #expect(h.log("coordinator").contains("running job(s) get"), "the restart gave running jobs a grace period")
    }

    /// 6 and 7. Many concurrent (simulated) workers over real HTTP: no job is leased twice, results
    /// equal jobs; submitting the same sweep again adds nothing (`fatnn-coord submit` says so).
    @Test func manyWorkersNeverShareAJobAndResubmitAddsNothing() async throws {
        let h = try ProcessHarness("stress")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 30)
        let first = try await h.submit(jobs: 400, epochs: 1)
        #expect(first.added == 400)
        let out = try await SimulatedWorkers.run(client: try h.client(timeout: 60), workers: 32)
        #expect(out.claimed.count == 400 && Set(out.claimed).count == 400, "every job claimed exactly once")
        let c = try h.client()
        #expect(try await c.status().counts["succeeded"] == 400)
        for id: Int64 in [1, 200, 400] { #expect(try await c.job(id).attempts.map(\.outcome) == [.ok]) }

        let sweepFile = h.dir + "/again.json"
        let seeds = (1...400).map(String.init).joined(separator: ",")
        try """
            { "name": "rel", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist", "validationFraction": 0.1, "trainLimit": 1000},
              "training": {"epochs": 1, "batchSize": 50, "learningRate": 0.1} }, "seeds": [\(seeds)] }
            """.write(toFile: sweepFile, atomically: true, encoding: .utf8)
        let (status, output) = try runCLI("fatnn-coord", ["submit", sweepFile, "--coordinator", h.url, "--token-file", h.db + ".token"])
        #expect(status == 0 && output.contains("0 added, 400 already present"), "\(output)")
        #expect(try await c.status().counts.values.reduce(0, +) == 400)
        // The worker token cannot submit.
        let (denied, message) = try runCLI("fatnn-coord", ["submit", sweepFile, "--coordinator", h.url, "--token-file", h.workerTokenFile])
        #expect(denied != 0 && message.contains("admin token"), "\(message)")
    }

    /// Workers on another host, over TLS: the coordinator bound to a non-loopback address with a
    /// certificate from `fatnn-coord tls init`, workers in a network namespace made by the test
    /// (root and `ip` needed; skipped otherwise) trusting its CA. The first fetches the dataset
    /// over https into the host's cache; the second uses that copy. Without TLS the coordinator
    /// refuses that address; a worker without the CA is refused by TLS, not retried forever.
    @Test(.enabled(if: NetworkNamespace.available, "needs root and iproute2 to make a network namespace"))
    func workerInAnotherNetworkNamespaceRunsAJob() async throws {
        let ns = try NetworkNamespace.make()
        defer { ns.remove() }
        let h = try ProcessHarness("netns")
        defer { h.stopAll() }
        let (root, files) = try DatasetFetchTests.servedRoot()
        h.host = ns.hostAddress
        let (plain, refusal) = try runCLI("fatnn-coord", ["serve", "--db", h.db, "--host", ns.hostAddress, "--port", "0"])
        #expect(plain != 0 && refusal.contains("--insecure-http") && refusal.contains("--tls-cert"), "\(refusal)")
        let certs = h.dir + "/certs"
        let (made, madeOut) = try runCLI("fatnn-coord", ["tls", "init", certs, ns.hostAddress, "localhost"])
        #expect(made == 0, "\(madeOut)")
        let keyMode = try FileManager.default.attributesOfItem(atPath: certs + "/server-key.pem")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let (again, againOut) = try runCLI("fatnn-coord", ["tls", "init", certs, ns.hostAddress])
        #expect(again != 0 && againOut.contains("exists"), "never overwritten: \(againOut)")
        h.caFile = certs + "/ca.pem"
        try await h.startCoordinator(lease: 5, extra: ["--host", ns.hostAddress, "--data-dir", root,
                                                       "--tls-cert", certs + "/server.pem", "--tls-key", certs + "/server-key.pem"])
        #expect(h.url.hasPrefix("https://"))
        // Without the CA: refused by TLS at once (system roots do not hold the lab CA).
        let untrusting = try CoordinatorClient(baseURL: h.url, token: h.adminToken)
        await #expect { _ = try await untrusting.status() } throws: { ($0 as? ClientError).map { if case .tls = $0 { true } else { false } } ?? false }
        _ = try await h.submit(jobs: 2, epochs: 1, trainLimit: 500)
        let cache = h.dir + "/dataset-cache"
        for name in ["remote", "remote2"] {
            try h.startWorker(name, extra: ["--once", "--dataset-source", "coordinator", "--dataset-cache-dir", cache], inNamespace: ns.name)
            #expect(try await h.waitForWorker(name) == 0)
        }
        for id: Int64 in [1, 2] {
            let d = try await h.client().job(id)
            #expect(d.row.state == .succeeded && d.attempts.count == 1)
        }
        #expect(h.log("coordinator").contains("reachable from other hosts") && h.log("coordinator").contains("listening on https://"))
        #expect(h.log("remote").contains("fetched \(files.count) file(s)"), "\(h.log("remote"))")
        #expect(h.log("remote2").contains("using this host's cached copy"), "\(h.log("remote2"))")
        for file in files {
            #expect(FileManager.default.contents(atPath: cache + "/fashion-mnist/" + file) == FileManager.default.contents(atPath: root + "/fashion-mnist/" + file))
        }
    }
}

/// Runs one of the built executables to completion; returns its status and combined output.
func runCLI(_ binary: String, _ args: [String]) throws -> (Int32, String) {
    let bin = try #require(ProcessHarness.binDir)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: bin + "/" + binary)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
