import FATNNClient
import FATNNEngine
import FATNNJobs
import Foundation
import Logging

/// How a worker runs.
public struct WorkerOptions: Sendable {
    /// Coordinator base URL.
    public var coordinator: String
    /// Bearer token.
    public var token: String
    /// Worker name; defaults to `HOST-PID`.
    public var name: String
    /// Run at most one job, then exit.
    public var once: Bool
    /// Exit when the queue is empty instead of polling.
    public var exitWhenIdle: Bool
    /// Wait between claims while the queue is empty, seconds.
    public var pollSeconds: Double
    /// Overrides where datasets are read from.
    public var dataDirectory: String?
    /// Where runs are checkpointed after every epoch (one file per config hash), so that a job
    /// handed out again after this worker died resumes on this host; nil disables.
    public var checkpointDirectory: String?

    public init(coordinator: String, token: String, name: String? = nil, once: Bool = false, exitWhenIdle: Bool = false,
                pollSeconds: Double = 2, dataDirectory: String? = nil, checkpointDirectory: String? = nil) {
        self.checkpointDirectory = checkpointDirectory
        let host = ProcessInfo.processInfo.hostName
        self.coordinator = coordinator
        self.token = token
        self.name = name ?? "\(host)-\(ProcessInfo.processInfo.processIdentifier)"
        self.once = once
        self.exitWhenIdle = exitWhenIdle
        self.pollSeconds = pollSeconds
        self.dataDirectory = dataDirectory
    }
}

/// Pulls jobs from a coordinator, trains and evaluates them with the engine, and reports
/// progress and results. Waits out an unreachable coordinator with backoff.
public struct Worker: Sendable {
    let options: WorkerOptions
    let client: CoordinatorClient
    let logger: Logger
    let retry: RetryPolicy
    let cache: DatasetCache
    let host = ProcessInfo.processInfo.hostName

    /// A worker; nothing happens until ``run()``.
    public init(options: WorkerOptions, logger: Logger, retry: RetryPolicy = RetryPolicy()) throws {
        self.options = options
        self.client = try CoordinatorClient(baseURL: options.coordinator, token: options.token)
        self.logger = logger
        self.retry = retry
        self.cache = DatasetCache(dataDirectory: options.dataDirectory)
    }

    /// Runs jobs until the queue is empty (with `exitWhenIdle`), one job is done (with `once`),
    /// or the task is cancelled. The engine uses the process's OpenBLAS thread count
    /// (`BLAS.setThreads`, set once by the executable).
    ///
    /// - Returns: the number of jobs this worker finished (succeeded or failed).
    /// - Throws: ``WorkerError`` when this host cannot run jobs (the job is given back first);
    ///   a ``ClientError`` when the coordinator stays unreachable past the retry policy.
    @discardableResult
    public func run() async throws -> Int {
        logger.info("worker \(options.name) polling \(options.coordinator) with \(BLAS.threads) engine thread(s)")
        var finished = 0
        while !Task.isCancelled {
            let job = try await retry.run("claim", logger: logger) {
                try await client.claim(worker: options.name, host: host)
            }
            guard let job else {
                if options.once || options.exitWhenIdle {
                    logger.info("queue empty; exiting after \(finished) job(s)")
                    return finished
                }
                try await Task.sleep(nanoseconds: UInt64(options.pollSeconds * 1e9))
                continue
            }
            try await process(job)
            finished += 1
            if options.once { return finished }
        }
        return finished
    }

    func process(_ job: API.ClaimedJob) async throws {
        let c: JobConfig
        do { c = try job.config.revalidated() } catch {
            return try await failJob(job, "invalid config from the coordinator: \(error)")
        }
        logger.info("job \(job.id): \(c.model) \(c.quantizer.kind) on \(c.dataset.name) lr=\(c.training.learningRate) seed=\(c.seed), \(c.training.epochs) epoch(s)")
        let dataset: Dataset
        do {
            _ = try JobRunner.plan(c)
            dataset = try await cache.dataset(c.dataset.name)
        } catch {
            // A problem of this host, not of the job: give it back and stop, so that one
            // misconfigured worker cannot fail the whole queue.
            try await finish(job) { try await client.release(job: job.id, token: job.claimToken, reason: "\(options.name): \(error)") }
            throw WorkerError(job: job.id, reason: "\(error)")
        }
        var initialModel: Data?
        if let parent = c.initFrom {
            do {
                initialModel = try await retry.run("job \(job.id): fetch the model to start from", logger: logger) {
                    try await client.downloadArtifact(configHash: parent)
                }
            } catch let e as ClientError {
                return try await failJob(job, "cannot fetch the model of job \(parent) to start from: \(e)")
            }
        }
        let stop = StopFlag()
        let report: TrainingReport, trained: Data?
        do {
            (report, trained) = try await train(job, config: c, dataset: dataset, stop: stop, initialModel: initialModel)
        } catch let e as JobRunner.InitializationFailure {
            return try await failJob(job, e.description)
        }
        switch report.stoppedEarly {
        case .requested?:
            if Task.isCancelled { throw CancellationError() }
            logger.warning("job \(job.id): claim lost (lease expired or job ended elsewhere); result discarded")
            return
        case .diverged(let epoch)?:
            return try await failJob(job, "training diverged at epoch \(epoch): loss \(report.epochs.last?.trainLoss ?? .nan)")
        case nil:
            break
        }
        var result = JobResult(testAccuracy: report.testAccuracy, testLoss: report.testLoss,
                               validationAccuracy: report.validationAccuracy, trainLoss: report.epochs.last?.trainLoss ?? 0,
                               trainSeconds: report.trainSeconds, imagesPerSecond: report.imagesPerSecond,
                               epochs: report.epochs.map(EpochReport.init), host: host, threads: BLAS.threads)
        if let p = report.packed {
            result.packedExact = p.exact
            result.packed = PackedInference(kernelPath: p.path.rawValue, cpu: CPUInfo.modelName, testImages: p.testImages,
                                            latencyBatch1: p.packedLatency1, latencyBatch64: p.packedLatency64,
                                            floatLatencyBatch1: p.floatLatency1, floatLatencyBatch64: p.floatLatency64)
            if !p.exact { logger.error("job \(job.id): the packed network differs from the trained one (packed_exact false)") }
        }
        do { try result.validate() } catch {
            return try await failJob(job, "result out of range: \(error)")
        }
        // The model first, so that jobs fine-tuning from this one find it once it has succeeded.
        guard let trained else { return try await failJob(job, "the trained model could not be encoded") }
        try await finish(job) { try await client.uploadArtifact(job: job.id, token: job.claimToken, data: trained) }
        try await finish(job) { try await client.complete(job: job.id, token: job.claimToken, result: result) }
        if let path = checkpointPath(c) { try? FileManager.default.removeItem(atPath: path) }
        logger.info("job \(job.id) done: test accuracy \(String(format: "%.2f%%", report.testAccuracy * 100)), \(String(format: "%.0f", report.imagesPerSecond)) images/s")
    }

    /// The checkpoint file of a config, creating the directory if needed (nil: disabled).
    func checkpointPath(_ config: JobConfig) -> String? {
        guard let dir = options.checkpointDirectory else { return nil }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (dir as NSString).appendingPathComponent(config.configHash + ".ckpt")
    }

    private func failJob(_ job: API.ClaimedJob, _ message: String) async throws {
        logger.error("job \(job.id) failed: \(message)")
        try await finish(job) { try await client.fail(job: job.id, token: job.claimToken, error: message) }
    }

    /// Reports the end of a job, retrying while the coordinator is unreachable; a stale claim is
    /// logged and dropped.
    private func finish(_ job: API.ClaimedJob, _ call: () async throws -> Void) async throws {
        do { try await retry.run("report job \(job.id)", logger: logger, call) } catch let e as ClientError where e.isStaleClaim {
            logger.warning("job \(job.id): coordinator refused the report: \(e)")
        }
    }

    /// Trains while heartbeats keep the lease: one per epoch with progress, and one every third
    /// of the lease in between. A refused heartbeat stops the run.
    private func train(_ job: API.ClaimedJob, config: JobConfig, dataset: Dataset, stop: StopFlag,
                       initialModel: Data?) async throws -> (TrainingReport, Data?) {
        let (epochs, continuation) = AsyncStream.makeStream(of: EpochStats.self, bufferingPolicy: .bufferingNewest(16))
        return try await withThrowingTaskGroup(of: (TrainingReport, Data?)?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                return try await JobRunner.run(config, dataset: dataset, stop: stop, checkpoint: checkpointPath(config),
                                               initialModel: initialModel, onResume: { epoch in
                    logger.info("job \(job.id): resuming after epoch \(epoch) from its checkpoint")
                }) { continuation.yield($0) }
            }
            group.addTask {
                for await e in epochs {
                    logger.info("job \(job.id) epoch \(e.epoch)/\(job.config.training.epochs): loss \(String(format: "%.4f", e.trainLoss)), train acc \(String(format: "%.2f%%", e.trainAccuracy * 100))\(e.validationAccuracy.map { String(format: ", val acc %.2f%%", $0 * 100) } ?? "")")
                    await heartbeat(job, EpochReport(e), stop: stop)
                }
                return nil
            }
            group.addTask {
                let interval = max(1, job.leaseSeconds / 3)
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                    if Task.isCancelled { break }
                    await heartbeat(job, nil, stop: stop)
                }
                return nil
            }
            var report: (TrainingReport, Data?)?
            for try await value in group {
                if let value {
                    report = value
                    group.cancelAll()
                }
            }
            return report!
        }
    }

    private func heartbeat(_ job: API.ClaimedJob, _ epoch: EpochReport?, stop: StopFlag) async {
        do { try await client.progress(job: job.id, token: job.claimToken, epoch: epoch) } catch let e as ClientError {
            if e.isStaleClaim { stop.set() }
            logger.warning("job \(job.id): heartbeat failed: \(e)")
        } catch {
            logger.warning("job \(job.id): heartbeat failed: \(error)")
        }
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
