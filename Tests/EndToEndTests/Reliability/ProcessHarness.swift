import FATNNClient
import FATNNCoordinator
import FATNNJobs
import Foundation
import Testing

/// Real `fatnn-coord` and `fatnn-worker` processes on a temporary SQLite file and a loopback
/// port, for the reliability tests: started, signalled and killed like an operator (or a crash)
/// would. Every wait is bounded; `stopAll` (also on deinit) kills whatever is left.
final class ProcessHarness: @unchecked Sendable {
    let dir: String
    let db: String
    private(set) var port = 0
    /// The address the coordinator listens on (and clients use).
    var host = "127.0.0.1"
    private(set) var coordinator: Process?
    private(set) var workers: [String: Process] = [:]
    /// Other processes (more coordinators), by name.
    private(set) var others: [String: Process] = [:]
    private let lock = NSLock()

    /// Where the executables were built (next to the test bundle, or `.build/debug`).
    static let binDir: String? = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug").standardized.path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/fatnn-coord") && FileManager.default.isExecutableFile(atPath: $0 + "/fatnn-worker") }
    }()

    init(_ name: String) throws {
        dir = try temporaryFolder("fatnn-rel-" + name)
        db = dir + "/jobs.sqlite"
    }

    deinit { stopAll() }

    /// The CA of a coordinator serving TLS (then clients and workers use https and trust it).
    var caFile: String?
    var url: String { "\(caFile == nil ? "http" : "https")://\(host):\(port)" }
    var adminToken: String { (try? String(contentsOfFile: db + ".token", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }
    var workerTokenFile: String { db + ".worker-token" }
    func client(timeout: Int64 = 10) throws -> CoordinatorClient {
        try CoordinatorClient(baseURL: url, token: adminToken, timeoutSeconds: timeout, caFile: caFile)
    }

    /// Starts the coordinator (on the same port as before when restarting) and waits until it answers.
    func startCoordinator(lease: Double = 2, extra: [String] = []) async throws {
        let portFile = dir + "/port"
        try? FileManager.default.removeItem(atPath: portFile)
        var args = ["serve", "--db", db, "--port", String(port), "--port-file", portFile, "--lease-seconds", String(lease),
                    "--backoff-seconds", "0"]
        args += extra
        let p = try launch("fatnn-coord", args, log: "coordinator.log")
        lock.withLock { coordinator = p }
        try await waitUntil("the coordinator writes its port file", timeout: 60) { FileManager.default.fileExists(atPath: portFile) }
        port = Int((try String(contentsOfFile: portFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        try await waitUntil("the coordinator answers", timeout: 30) { (try? await self.client().status()) != nil }
    }

    /// Kills the coordinator with `signal` and waits for it to exit.
    func stopCoordinator(_ signal: Int32 = SIGKILL) async throws {
        guard let p = lock.withLock({ coordinator }) else { return }
        kill(p.processIdentifier, signal)
        try await waitUntil("the coordinator exits", timeout: 30) { !p.isRunning }
        lock.withLock { coordinator = nil }
    }

    /// Starts a worker named `name` (1 engine thread, its own spool, no checkpoints unless given).
    @discardableResult
    /// Starts worker `name`. `slowEpochs` holds every epoch that many seconds (the worker's hidden
    /// `--fault-epoch-seconds`): the engine trains these small jobs in milliseconds, so a test
    /// that signals, kills or cancels a running job needs epochs that last.
    func startWorker(_ name: String, extra: [String] = [], slowEpochs: Double = 0, inNamespace ns: String? = nil) throws -> Process {
        var args = ["--coordinator", url, "--token-file", workerTokenFile, "--threads", "1", "--name", name,
                    "--poll-seconds", "0.2", "--spool-dir", dir + "/spool-" + name, "--checkpoint-dir", "none"]
        if slowEpochs > 0 { args += ["--fault-epoch-seconds", String(slowEpochs)] }
        if let caFile { args += ["--ca-file", caFile] }
        args += extra
        let p = try launch("fatnn-worker", args, log: "\(name).log", inNamespace: ns)
        lock.withLock { workers[name] = p }
        return p
    }

    func signal(_ name: String, _ sig: Int32) {
        if let p = lock.withLock({ workers[name] }) { kill(p.processIdentifier, sig) }
    }

    /// Waits for a worker to exit and returns its exit status.
    @discardableResult
    func waitForWorker(_ name: String, timeout: Double = 120) async throws -> Int32 {
        let p = try #require(lock.withLock { workers[name] })
        try await waitUntil("worker \(name) exits", timeout: timeout) { !p.isRunning }
        return p.terminationStatus
    }

    func log(_ name: String) -> String { (try? String(contentsOfFile: dir + "/" + name + ".log", encoding: .utf8)) ?? "" }

    /// A sweep of `jobs` MLP jobs (distinct seeds) on `trainLimit` real Fashion-MNIST images.
    func submit(name: String = "rel", jobs: Int, epochs: Int, trainLimit: Int = 1000, extra: String = "") async throws -> API.SubmitResponse {
        let seeds = (1...jobs).map(String.init).joined(separator: ",")
        let doc = """
            { "name": "\(name)", \(extra) "base": { "model": "mlp", "dataset": {"name": "fashion-mnist", "validationFraction": 0.1, "trainLimit": \(trainLimit)},
              "training": {"epochs": \(epochs), "batchSize": 50, "learningRate": 0.1} }, "seeds": [\(seeds)] }
            """
        return try await client().submit(document: Data(doc.utf8))
    }

    /// Starts `binary` with exactly `args` as process `name` (log `NAME.log`), for tests that run
    /// more than one coordinator; `stopAll` kills it too.
    @discardableResult
    func start(_ name: String, _ binary: String, _ args: [String]) throws -> Process {
        let p = try launch(binary, args, log: name + ".log")
        lock.withLock { others[name] = p }
        return p
    }

    /// Kills process `name` (started by ``start(_:_:_:)``) with `signal` and waits for it to exit.
    func stop(_ name: String, _ signal: Int32 = SIGKILL) async throws {
        guard let p = lock.withLock({ others[name] }) else { return }
        kill(p.processIdentifier, signal)
        try await waitUntil("\(name) exits", timeout: 30) { !p.isRunning }
    }

    func stopAll() {
        let all = lock.withLock { (coordinator.map { [$0] } ?? []) + Array(workers.values) + Array(others.values) }
        for p in all where p.isRunning {
            kill(p.processIdentifier, SIGCONT)
            kill(p.processIdentifier, SIGKILL)
        }
    }

    private func launch(_ binary: String, _ args: [String], log: String, inNamespace ns: String? = nil) throws -> Process {
        let bin = try #require(Self.binDir, "fatnn-coord and fatnn-worker are not built: run 'swift build --build-tests' first")
        let p = Process()
        if let ns {
            p.executableURL = URL(fileURLWithPath: NetworkNamespace.ip)
            p.arguments = ["netns", "exec", ns, bin + "/" + binary] + args
        } else {
            p.executableURL = URL(fileURLWithPath: bin + "/" + binary)
            p.arguments = args
        }
        let path = dir + "/" + log
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        var env = ProcessInfo.processInfo.environment
        env["FATNN_CODE_COMMIT"] = "0000000000000000000000000000000000000000"
        p.environment = env
        try p.run()
        return p
    }
}

/// Polls `condition` every 0.1 s until it holds, failing after `timeout` seconds.
func waitUntil(_ what: String, timeout: Double, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
    throw HarnessTimeout(what: what, seconds: timeout)
}

struct HarnessTimeout: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "timed out after \(seconds) s waiting until \(what)" }
}
