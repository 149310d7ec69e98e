import FATNNClient
import FATNNEngine
import FATNNJobs
import Foundation
import Logging
import ServiceLifecycle

/// How a worker runs.
public struct WorkerOptions: Sendable {
    /// Coordinator base URL.
    public var coordinator: String
    /// Bearer token (the coordinator's worker token, or its admin token).
    public var token: String
    /// Worker name; defaults to `HOST-PID`.
    public var name: String
    /// Run at most one job, then exit.
    public var once: Bool
    /// Exit once no job is pending (queued in an unpaused sweep, or leased) instead of polling.
    public var exitWhenIdle: Bool
    /// Wait between claims while the queue is empty, seconds.
    public var pollSeconds: Double
    /// Overrides where datasets are read from.
    public var dataDirectory: String?
    /// Whether datasets come from the local disk or from the coordinator.
    public var datasetSource: DatasetSource
    /// The host's dataset cache for files fetched from the coordinator (nil:
    /// `$XDG_CACHE_HOME/fatnn/datasets` or `~/.cache/fatnn/datasets`).
    public var datasetCacheDirectory: String?
    /// Where runs are checkpointed after every epoch (one file per config hash and replica), so
    /// that a job handed out again after this worker died resumes on this host; nil disables.
    public var checkpointDirectory: String?
    /// Where finished reports wait for the coordinator's acknowledgement; nil keeps them in memory only.
    public var spoolDirectory: String?
    /// Jobs run at once by this process (the engine's threads are shared between them).
    public var concurrency: Int
    /// Limit on each HTTP request, seconds.
    public var requestTimeout: Int64
    /// PEM certificates to trust for an https coordinator (nil: the system's).
    public var caFile: String?
    /// Fault injection for tests: seconds each epoch is held (on the training thread) before its
    /// report, so that a signal, kill or cancel lands while a job is still running; 0 in use.
    public var faultEpochSeconds: Double = 0

    public init(coordinator: String, token: String, name: String? = nil, once: Bool = false, exitWhenIdle: Bool = false,
                pollSeconds: Double = 2, dataDirectory: String? = nil, checkpointDirectory: String? = nil,
                spoolDirectory: String? = nil, concurrency: Int = 1, requestTimeout: Int64 = 30,
                datasetSource: DatasetSource = .auto, datasetCacheDirectory: String? = nil, caFile: String? = nil) {
        self.caFile = caFile
        self.datasetSource = datasetSource
        self.datasetCacheDirectory = datasetCacheDirectory
        self.checkpointDirectory = checkpointDirectory
        let host = ProcessInfo.processInfo.hostName
        self.coordinator = coordinator
        self.token = token
        self.name = name ?? "\(host)-\(ProcessInfo.processInfo.processIdentifier)"
        self.once = once
        self.exitWhenIdle = exitWhenIdle
        self.pollSeconds = pollSeconds
        self.dataDirectory = dataDirectory
        self.spoolDirectory = spoolDirectory
        self.concurrency = max(1, concurrency)
        self.requestTimeout = requestTimeout
    }
}

/// Pulls jobs from a coordinator, trains and evaluates them with the engine, and reports
/// progress and results. Waits out an unreachable coordinator with backoff; keeps every
/// finished report in its spool until the coordinator acknowledges it; at a graceful shutdown
/// (swift-service-lifecycle's, see ``WorkerService``) stops claiming, gives running jobs back and
/// returns.
public struct Worker: Sendable {
    let options: WorkerOptions
    let client: CoordinatorClient
    let logger: Logger
    let retry: RetryPolicy
    let cache: DatasetCache
    let spool: ResultSpool?
    let shutdown: ShutdownSignal
    let host = ProcessInfo.processInfo.hostName

    /// A worker; nothing happens until ``run()``.
    public init(options: WorkerOptions, logger: Logger, retry: RetryPolicy = RetryPolicy()) throws {
        self.options = options
        self.client = try CoordinatorClient(baseURL: options.coordinator, token: options.token, timeoutSeconds: options.requestTimeout,
                                            caFile: options.caFile)
        self.logger = logger
        self.retry = retry
        self.cache = DatasetCache(dataDirectory: options.dataDirectory, source: options.datasetSource,
                                  cacheDirectory: options.datasetCacheDirectory, client: client, logger: logger, retry: retry)
        self.spool = try options.spoolDirectory.map { try ResultSpool(directory: $0) }
        self.shutdown = ShutdownSignal()
    }

    /// Sends what the spool holds, then runs `concurrency` job loops until the queue is empty
    /// (with `exitWhenIdle`), one job is done (with `once`), a graceful shutdown is triggered
    /// (running jobs stop at their next epoch boundary and are given back), or the task is
    /// cancelled. The engine uses the process's OpenBLAS thread count (`BLAS.setThreads`, set
    /// once by the executable).
    ///
    /// - Returns: the number of jobs this worker finished (succeeded or failed).
    /// - Throws: ``WorkerError`` when this host cannot run jobs (the job is given back first);
    ///   a ``ClientError`` when the coordinator stays unreachable past the retry policy.
    @discardableResult
    public func run() async throws -> Int {
        logger.info("worker \(options.name) polling \(options.coordinator): \(options.concurrency) job(s) at a time, \(BLAS.threads) engine thread(s), code \(CodeVersion.current.commit.prefix(12))\(CodeVersion.current.dirty ? "+dirty" : "")")
        let shutdown = self.shutdown
        return try await withGracefulShutdownHandler {
            try await drainSpool()
            if options.concurrency == 1 || options.once { return try await loop(name: options.name) }
            return try await withThrowingTaskGroup(of: Int.self) { group in
                for slot in 0..<options.concurrency {
                    group.addTask { try await loop(name: "\(options.name)/\(slot)") }
                }
                var total = 0
                for try await n in group { total += n }
                return total
            }
        } onGracefulShutdown: {
            shutdown.request()
        }
    }

    /// One claim-run-report loop.
    func loop(name: String) async throws -> Int {
        var finished = 0
        while !Task.isCancelled && !shutdown.isRequested {
            let reply: API.ClaimResponse
            do {
                reply = try await retry.run("claim", logger: logger) { try await client.claimNext(worker: name, host: host) }
            } catch let e as API.UnreadableClaim {
                if try await report(e) { finished += 1 }
                if options.once { return finished }
                continue
            }
            guard let job = reply.job else {
                if (options.once || options.exitWhenIdle) && !reply.pending {
                    logger.info("\(name): queue empty; exiting after \(finished) job(s)")
                    return finished
                }
                // A graceful shutdown ends the wait (and the loop with it).
                let pause = UInt64(options.pollSeconds * 1e9)
                try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: pause) }
                continue
            }
            if try await process(job) { finished += 1 }
            if options.once { return finished }
        }
        if shutdown.isRequested { logger.info("\(name): shutting down after \(finished) job(s)") }
        return finished
    }

    /// Sends every spooled report for this coordinator (from a run that was killed before its
    /// acknowledgement).
    func drainSpool() async throws {
        guard let spool else { return }
        for (name, entry, model) in spool.pending(for: options.coordinator) {
            logger.info("spool: sending the unacknowledged report of job \(entry.job) (attempt \(entry.attempt))")
            try await deliver(name, entry, model: model)
        }
    }

    /// The checkpoint file of a job, creating the directory if needed (nil: disabled).
    func checkpointPath(_ job: API.ClaimedJob) -> String? {
        guard let dir = options.checkpointDirectory else { return nil }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let suffix = job.replica == 0 ? "" : "-r\(job.replica)"
        return (dir as NSString).appendingPathComponent(job.config.configHash + suffix + ".ckpt")
    }
}

/// This host cannot run jobs (its dataset is missing, or its engine lacks a model); the job it
/// had claimed was given back to the queue.
public struct WorkerError: Error, CustomStringConvertible {
    /// The job that was given back.
    public let job: Int64
    /// What is wrong on this host.
    public let reason: String
    public var description: String { "cannot run job \(job) on this host, gave it back to the queue: \(reason)" }
}
