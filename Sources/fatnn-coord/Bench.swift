import ArgumentParser
import FATNNClient
import FATNNCoordinator
import FATNNJobs
import FATNNPostgresStore
import Foundation
import Logging

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark the job lifecycle: simulated workers (no training) against a real coordinator over real HTTP.",
        discussion: """
            Starts a coordinator in this process on a fresh SQLite file (WAL, synchronous=FULL for \
            results) and a free loopback port; times the submission of a --submit-jobs sweep; then \
            runs --workers concurrent simulated workers, each looping claim, one heartbeat, result, \
            until --jobs jobs are done. Prints jobs/s for the full lifecycle and claim latency \
            percentiles; --json prints one JSON object with jobs_per_s, claim_p50_ms, claim_p99_ms \
            and submit_100k_s (the submission time scaled to 100,000 jobs).

            With --store postgresql://…, the store is a scratch schema in that database (dropped \
            at the end) and --coordinators N starts N coordinators in this process, each with its \
            own connection pool and port, the simulated workers spread over them.
            """)

    @Option(help: "Concurrent simulated workers.")
    var workers: Int = 64

    @Option(help: "Jobs to run through the full lifecycle.")
    var jobs: Int = 10_000

    @Option(help: "Jobs in the sweep submitted (and timed) first.")
    var submitJobs: Int = 100_000

    @Option(help: ArgumentHelp("Database file to use (default: a fresh temporary one).", valueName: "path"))
    var db: String?

    @Option(help: ArgumentHelp("Benchmark a PostgreSQL store instead (postgresql://…; a scratch schema, dropped at the end).", valueName: "url"))
    var store: String?

    @Option(help: "Coordinators on the PostgreSQL store, in this process (1...4).")
    var coordinators: Int = 1

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Benchmark leaderboard queries instead: fill the store with --jobs synthetic finished jobs (e.g. 1000000), then time queries over HTTP.")
    var query = false

    func validate() throws {
        if let store {
            guard store.hasPrefix("postgresql://") || store.hasPrefix("postgres://") else {
                throw ValidationError("--store takes a postgresql:// URL (for SQLite use --db PATH)")
            }
            do { _ = try PostgresURL.configuration(store) } catch { throw ValidationError("--store: \(error)") }
            guard db == nil else { throw ValidationError("--db and --store: give one") }
            guard !query else { throw ValidationError("--query runs on SQLite only (the synthetic fill is SQLite's)") }
        }
        guard (1...4).contains(coordinators) else { throw ValidationError("--coordinators must be in 1...4") }
        guard coordinators == 1 || store != nil else { throw ValidationError("--coordinators above 1 needs a PostgreSQL --store") }
        if query {
            guard (1...10_000_000).contains(jobs) else { throw ValidationError("--jobs must be in 1...10000000 with --query") }
            return
        }
        guard (1...1024).contains(workers) else { throw ValidationError("--workers must be in 1...1024") }
        guard (1...Sweep.maxJobs).contains(submitJobs) else { throw ValidationError("--submit-jobs must be in 1...\(Sweep.maxJobs)") }
        guard (1...submitJobs).contains(jobs) else { throw ValidationError("--jobs must be in 1...--submit-jobs (\(submitJobs))") }
    }

    func run() async throws {
        var logger = Logger(label: "fatnn-coord-bench")
        logger.logLevel = .error
        if let url = store {
            let schema = "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            let stores = try (0..<coordinators).map { _ in
                try PostgresJobStore(url: url, schema: schema, leaseSeconds: 600, maxConnections: 16, logger: logger)
            }
            try await stores[0].withRunning {
                try await withThrowingTaskGroup(of: Void.self) { pools in
                    for s in stores.dropFirst() { pools.addTask { try await s.run() } }
                    defer { pools.cancelAll() }
                    do {
                        try await Self.serve(stores, logger: logger) { clients in try await lifecycle(clients) }
                    } catch {
                        try? await stores[0].dropSchema()
                        throw error
                    }
                    try await stores[0].dropSchema()
                }
            }
            return
        }
        let dir = NSTemporaryDirectory() + "fatnn-coord-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if db == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let store = try JobStore(path: db ?? dir + "/bench.sqlite", leaseSeconds: 600)
        if query {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try store.insertSyntheticJobs(count: jobs)
            if !json { print(String(format: "filled the store with %d synthetic finished jobs in %.1f s", jobs, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)) }
        }
        let (jobs, json, query) = (self.jobs, self.json, self.query)
        try await Self.serve([store.queue], logger: logger) { clients in
            if query { try await QueryBenchmark.run(client: clients[0], jobs: jobs, json: json) } else { try await lifecycle(clients) }
        }
    }

    static let token = String(repeating: "b", count: 32)

    /// Serves each store on its own loopback port in this process, runs `body` with a client of
    /// each, then shuts them down.
    static func serve(_ stores: [any JobQueueStore], logger: Logger, clients: [CoordinatorClient] = [],
                      _ body: @escaping @Sendable ([CoordinatorClient]) async throws -> Void) async throws {
        guard let store = stores.first else { return try await body(clients) }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try CoordinatorServer.application(store: store, tokens: CoordinatorTokens(admin: token), port: 0, logger: logger) {
            continuation.yield($0)
        }
        let rest = Array(stores.dropFirst())
        try await CoordinatorServer.serve(app, logger: logger) {
            var it = ports.makeAsyncIterator()
            guard let port = await it.next() else { throw CancellationError() }
            let client = try CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", token: token, timeoutSeconds: 120)
            try await serve(rest, logger: logger, clients: clients + [client], body)
        }
    }

    /// Submits the timed sweep and runs the simulated workers over `clients`; prints the figures.
    func lifecycle(_ clients: [CoordinatorClient]) async throws {
        let seeds = (1...submitJobs).map(String.init).joined(separator: ",")
        let doc = """
            { "name": "bench", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"},
              "training": {"epochs": 1, "learningRate": 0.1} }, "seeds": [\(seeds)] }
            """
        let t0 = DispatchTime.now().uptimeNanoseconds
        let submitted = try await clients[0].submit(document: Data(doc.utf8))
        let submitSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        guard submitted.added == submitJobs else { throw ValidationError("bench: expected \(submitJobs) new jobs, got \(submitted.added)") }
        if !json { print("submitted \(submitJobs) jobs in \(String(format: "%.2f", submitSeconds)) s; running \(jobs) through \(workers) simulated workers on \(clients.count) coordinator(s)") }
        let out = try await SimulatedWorkers.run(clients: clients, workers: workers, limit: jobs)
        let p50 = SimulatedWorkers.quantile(out.claimLatencies, 0.5) * 1000
        let p99 = SimulatedWorkers.quantile(out.claimLatencies, 0.99) * 1000
        let rate = Double(out.claimed.count) / out.seconds
        let twice = out.claimed.count - Set(out.claimed).count
        if json {
            let object: [String: Any] = [
                "workers": workers, "jobs": out.claimed.count, "seconds": out.seconds, "jobs_per_s": rate,
                "claim_p50_ms": p50, "claim_p99_ms": p99, "submit_jobs": submitJobs, "submit_s": submitSeconds,
                "submit_100k_s": submitSeconds * 100_000 / Double(submitJobs), "claimed_twice": twice,
                "store": store == nil ? "sqlite" : "postgresql", "coordinators": clients.count,
                "synchronous_results": "FULL",
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%d jobs in %.2f s: %.0f jobs/s (claim, heartbeat, result); claim p50 %.2f ms, p99 %.2f ms; jobs claimed twice: %d",
                         out.claimed.count, out.seconds, rate, p50, p99, twice))
        }
    }
}
