import FATNNClient
import FATNNEngine
import FATNNJobs
import Foundation
import Logging

extension Worker {
    /// Runs one claimed job and reports how it ended.
    ///
    /// - Returns: whether the job finished here (a result or a job error was reported), as
    ///   opposed to being given back or lost.
    func process(_ job: API.ClaimedJob) async throws -> Bool {
        let c: JobConfig
        do { c = try job.config.revalidated() } catch {
            return try await report(job, error: "invalid config from the coordinator: \(error)")
        }
        logger.info("job \(job.id) (attempt \(job.attempt)): \(c.model) \(c.quantizer.kind) on \(c.dataset.name) lr=\(c.training.learningRate) seed=\(c.seed), \(c.training.epochs) epoch(s)")
        let dataset: Dataset
        do {
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
                    try await client.downloadArtifact(configHash: parent, replica: job.replica)
                }
            } catch let e as ClientError {
                return try await report(job, error: "cannot fetch the model of job \(parent) to start from: \(e)")
            }
        }
        let stop = StopFlag()
        shutdown.register(stop)
        defer { shutdown.unregister(stop) }
        let report: TrainingReport, trained: Data?
        do {
            (report, trained) = try await train(job, config: c, dataset: dataset, stop: stop, initialModel: initialModel)
        } catch let e as JobRunner.InitializationFailure {
            return try await self.report(job, error: e.description)
        }
        let host = AfterRun.Host(name: self.host, threads: BLAS.threads, cpu: CPUInfo.modelName, code: CodeVersion.current)
        let result: JobResult, model: Data
        switch AfterRun.decide(report, abandoned: stop.reason, model: trained, worker: options.name, host: host) {
        case .discard(let why):
            logger.warning("job \(job.id): \(why)")
            return false
        case .pruned(let reason):
            logger.notice("job \(job.id): pruned by the sweep's early stopping after epoch \(report.epochs.last?.epoch ?? 0): \(reason)")
            if let path = checkpointPath(job) { try? FileManager.default.removeItem(atPath: path) }
            return true
        case .release(let reason, let shuttingDown):
            logger.warning("job \(job.id): \(shuttingDown ? "worker shutting down; giving the job back (its checkpoint stays on this host)" : "cancelled by a user; giving it back")")
            try await finish(job, patient: !shuttingDown) { try await client.release(job: job.id, token: job.claimToken, reason: reason) }
            return false
        case .fail(let message):
            return try await self.report(job, error: message)
        case .report(let r, let m):
            (result, model) = (r, m)
        }
        if let p = report.packed {
            if let error = p.error { logger.error("job \(job.id): the model could not be packed: \(error)") }
            if p.exact == false { logger.error("job \(job.id): the packed network differs from the trained one (packed_exact false)") }
        }
        let entry = SpoolEntry(coordinator: options.coordinator, job: job.id, attempt: job.attempt, claimToken: job.claimToken,
                               result: result)
        try await send(entry, model: model)
        if let path = checkpointPath(job) { try? FileManager.default.removeItem(atPath: path) }
        logger.info("job \(job.id) done: test accuracy \(String(format: "%.2f%%", report.testAccuracy * 100)), \(String(format: "%.0f", report.imagesPerSecond)) images/s")
        return true
    }

    /// Reports a job error (through the spool, like a result).
    func report(_ job: API.ClaimedJob, error message: String) async throws -> Bool {
        try await reportError(job: job.id, attempt: job.attempt, token: job.claimToken, message)
    }

    /// Fails a claimed job whose config this build cannot read (as ``report(_:error:)`` does
    /// for a config that fails validation).
    func report(_ claim: API.UnreadableClaim) async throws -> Bool {
        try await reportError(job: claim.id, attempt: claim.attempt, token: claim.claimToken,
                              "invalid config from the coordinator: \(claim.reason)")
    }

    private func reportError(job id: Int64, attempt: Int, token: String, _ message: String) async throws -> Bool {
        logger.error("job \(id) failed: \(message)")
        try await send(SpoolEntry(coordinator: options.coordinator, job: id, attempt: attempt, claimToken: token, error: message), model: nil)
        return true
    }

    /// Spools a report, then delivers it.
    private func send(_ entry: SpoolEntry, model: Data?) async throws {
        var name: String?
        if let spool {
            do { name = try spool.save(entry, model: model) } catch {
                logger.error("spool \(spool.directory): cannot save the report of job \(entry.job): \(error); sending it unspooled")
            }
        }
        try await deliver(name, entry, model: model)
    }

    /// Sends a report (model first, so that jobs fine-tuning from this one find it once it has
    /// succeeded), retrying while the coordinator is unreachable; removes it from the spool once
    /// acknowledged, or moves it to `rejected/` if the coordinator refuses it.
    func deliver(_ name: String?, _ entry: SpoolEntry, model: Data?) async throws {
        do {
            try await retry.run("report job \(entry.job)", logger: logger) {
                if let result = entry.result {
                    if let model {
                        do { try await client.uploadArtifact(job: entry.job, token: entry.claimToken, data: model) } catch let e as ClientError
                            where e.refusesModel {
                            // The coordinator refused the trained model (invalid, too large): the
                            // job failed here, so say so instead of letting its lease run out.
                            try await client.fail(job: entry.job, token: entry.claimToken, error: "the coordinator refused the trained model: \(e)")
                            throw e
                        }
                    }
                    try await client.complete(job: entry.job, token: entry.claimToken, result: result)
                } else {
                    try await client.fail(job: entry.job, token: entry.claimToken, error: entry.error ?? "unknown error")
                }
            }
        } catch let e as ClientError where e.refusesReport {
            let kept = name.map { " (kept in the spool's rejected/ as \($0), with the reason in \($0).reason)" } ?? ""
            logger.warning("job \(entry.job): coordinator refused the report: \(e)\(kept)")
            if let name { spool?.reject(name, reason: "\(e)") }
            return
        }
        if let name { spool?.remove(name) }
    }

    /// Sends a call about a claim, retrying while the coordinator is unreachable; a stale claim
    /// is logged and dropped. With `patient: false` (shutting down) it tries for a few seconds only.
    func finish(_ job: API.ClaimedJob, patient: Bool = true, _ call: () async throws -> Void) async throws {
        let policy = patient ? retry : RetryPolicy(initialDelay: 0.5, maxDelay: 2, maxAttempts: 4)
        do { try await policy.run("report job \(job.id)", logger: logger, call) } catch let e as ClientError where e.isStaleClaim {
            logger.warning("job \(job.id): coordinator refused the report: \(e)")
        } catch let e as ClientError where !patient {
            logger.warning("job \(job.id): could not give the job back (\(e)); its lease will expire")
        }
    }

    /// Trains while heartbeats keep the lease: one per epoch with progress, and one every third
    /// of the lease in between. A refused heartbeat, or a reply that says cancel or prune, stops
    /// the run; training waits for each epoch's reply (``EpochGate``) before the next epoch.
    private func train(_ job: API.ClaimedJob, config: JobConfig, dataset: Dataset, stop: StopFlag,
                       initialModel: Data?) async throws -> (TrainingReport, Data?) {
        let (epochs, continuation) = AsyncStream.makeStream(of: EpochStats.self, bufferingPolicy: .bufferingNewest(16))
        let gate = EpochGate()
        return try await withThrowingTaskGroup(of: (TrainingReport, Data?)?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                return try await JobRunner.run(config, dataset: dataset, stop: stop, checkpoint: checkpointPath(job),
                                               initialModel: initialModel, onResume: { epoch in
                    logger.info("job \(job.id): resuming after epoch \(epoch) from its checkpoint")
                }) { e in
                    if options.faultEpochSeconds > 0 { Thread.sleep(forTimeInterval: options.faultEpochSeconds) }
                    continuation.yield(e)
                    gate.wait(for: e.epoch)
                }
            }
            group.addTask {
                defer { gate.open() }
                for await e in epochs {
                    logger.info("job \(job.id) epoch \(e.epoch)/\(job.config.training.epochs): loss \(String(format: "%.4f", e.trainLoss)), train acc \(String(format: "%.2f%%", e.trainAccuracy * 100))\(e.validationAccuracy.map { String(format: ", val acc %.2f%%", $0 * 100) } ?? "")")
                    if await heartbeat(job, EpochReport(e), stop: stop) { gate.answer(e.epoch) } else { gate.failed() }
                }
                return nil
            }
            group.addTask {
                let interval = max(0.3, job.leaseSeconds / 3)
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

    /// Sends a heartbeat; returns whether the coordinator answered it.
    @discardableResult
    private func heartbeat(_ job: API.ClaimedJob, _ epoch: EpochReport?, stop: StopFlag) async -> Bool {
        do {
            let reply = try await client.progress(job: job.id, token: job.claimToken, epoch: epoch)
            if let reason = reply.prune { stop.set(.pruned(reason)) }
            if reply.cancel { stop.set(.cancelled) }
            return true
        } catch let e as ClientError {
            if e.meansClaimLost { stop.set(.claimLost) }
            if !Task.isCancelled { logger.warning("job \(job.id): heartbeat failed: \(e)") }
        } catch {
            logger.warning("job \(job.id): heartbeat failed: \(error)")
        }
        return false
    }
}
