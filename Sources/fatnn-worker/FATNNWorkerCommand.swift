import ArgumentParser
import FATNNCommandLine
import FATNNClient
import FATNNEngine
import FATNNWorker
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

@main
struct FATNNWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fatnn-worker",
        abstract: "Pull FATNN jobs from a coordinator, train and evaluate them, and report results.",
        discussion: """
            Claims jobs (--concurrency at a time), reports every epoch's progress (which also keeps \
            the claim alive), and posts the result. While the coordinator is unreachable it retries \
            with backoff.

            Nothing finished is lost: a result (or job error) is written to the spool directory \
            before it is sent and deleted only once the coordinator acknowledges it; a worker \
            started later on the same host sends what an earlier one left there. A worker that dies \
            mid-job loses only that attempt: the coordinator hands the job out again when the \
            lease expires, and on this host it resumes from its last epoch checkpoint.

            Datasets: a host without a job's dataset (and no --data-dir) fetches its files from \
            the coordinator once, checked by SHA-256, into --dataset-cache-dir; every worker on \
            the host shares that copy.

            SIGTERM or SIGINT: stop claiming, stop running jobs at their next epoch boundary, give \
            them back to the coordinator, and exit 0. A second signal exits at once (status 130); \
            its jobs stay leased until their leases expire, as after a crash.

            Use the coordinator's worker token (DB.worker-token): it can claim and report jobs but \
            not submit, cancel or retry them.
            """)

    @OptionGroup var connection: CoordinatorOptions

    @Flag(help: "Run at most one job, then exit.")
    var once = false

    @Flag(help: "Exit once no job is queued or running anywhere (jobs in backoff, or waiting for the job they start from, keep it waiting).")
    var exitWhenIdle = false

    @Option(help: "Engine threads (OpenBLAS). With several workers on one host, give each cores/workers.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Dataset root: dataset NAME is read from DIR/NAME (or from DIR when it is named NAME); default /usr/share/datasets/NAME.", valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("Where datasets come from: 'auto' reads --data-dir, or the system directory if it has the dataset, and otherwise fetches it from the coordinator; 'local' never fetches; 'coordinator' always uses the coordinator's copy.", valueName: "auto|local|coordinator"))
    var datasetSource: String = DatasetSource.auto.rawValue

    @Option(help: ArgumentHelp("This host's cache of datasets fetched from the coordinator, shared by every worker on the host (default $XDG_CACHE_HOME/fatnn/datasets or ~/.cache/fatnn/datasets).", valueName: "dir"))
    var datasetCacheDir: String?

    @Option(help: ArgumentHelp("Checkpoint every epoch here, so that a job re-run on this host after a crash resumes; 'none' disables.", valueName: "dir"))
    var checkpointDir: String = (NSHomeDirectory() as NSString).appendingPathComponent(".cache/fatnn/checkpoints")

    @Option(help: "Worker name shown in the coordinator (default HOST-PID).")
    var name: String?

    @Option(help: ArgumentHelp("Keep finished reports here until the coordinator acknowledges them; 'none' disables.", valueName: "dir"))
    var spoolDir: String = (NSHomeDirectory() as NSString).appendingPathComponent(".cache/fatnn/spool")

    @Option(help: "Jobs to run at once in this process; the engine threads are split between them.")
    var concurrency: Int = 1

    @Option(help: "Seconds between claims while the queue is empty.")
    var pollSeconds: Double = 2

    @Option(help: "Limit on each request to the coordinator, seconds.")
    var requestTimeout: Int64 = 30

    /// Fault injection for the reliability tests (hidden): every epoch is held this long before
    /// its report, so that a test's signal, kill or cancel lands while the job is still running.
    @Option(help: .hidden) var faultEpochSeconds: Double = 0

    func validate() throws {
        guard concurrency >= 1 && concurrency <= 64 else { throw ValidationError("--concurrency must be in 1...64") }
        guard concurrency == 1 || !once else { throw ValidationError("--once runs one job: use it without --concurrency") }
        guard requestTimeout >= 1 && requestTimeout <= 3600 else { throw ValidationError("--request-timeout must be in 1...3600") }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be in 1...256") }
        guard let source = DatasetSource(rawValue: datasetSource) else {
            throw ValidationError("--dataset-source must be auto, local or coordinator, got '\(datasetSource)'")
        }
        guard source != .coordinator || dataDir == nil else {
            throw ValidationError("--data-dir reads datasets locally: it cannot be used with --dataset-source coordinator")
        }
        guard pollSeconds > 0 && pollSeconds <= 3600 else { throw ValidationError("--poll-seconds must be in (0, 3600]") }
        guard faultEpochSeconds >= 0 && faultEpochSeconds <= 60 else { throw ValidationError("--fault-epoch-seconds must be in 0...60") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        BLAS.setThreads(max(1, threads / concurrency))
        var options = WorkerOptions(coordinator: connection.coordinator, token: try connection.resolvedToken(),
                                    name: name, once: once, exitWhenIdle: exitWhenIdle, pollSeconds: pollSeconds,
                                    dataDirectory: dataDir, checkpointDirectory: checkpointDir == "none" ? nil : checkpointDir,
                                    spoolDirectory: spoolDir == "none" ? nil : spoolDir, concurrency: concurrency,
                                    requestTimeout: requestTimeout, datasetSource: DatasetSource(rawValue: datasetSource) ?? .auto,
                                    datasetCacheDirectory: datasetCacheDir, caFile: connection.caFile)
        options.faultEpochSeconds = faultEpochSeconds
        let logger = Logger(label: "fatnn-worker")
        let worker = try Worker(options: options, logger: logger)
        // SIGTERM or SIGINT: the group's graceful shutdown (the worker gives its jobs back); a
        // second one: SecondSignalExit leaves at once. The worker ending on its own (--once,
        // --exit-when-idle) or with an error ends the group, and its error is the command's.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        // _exit, not exit: exit runs OpenBLAS's destructor, which frees the buffers of a training
        // thread still inside an SGEMM, and the worker then died of SIGSEGV instead of status 130
        // (seen once the engine trained fast enough to be mid-SGEMM at the signal). Nothing else
        // needs exit's handlers: reports reach the spool by atomic renames; stderr is unbuffered.
        let watcher = SecondSignalExit(signals: signals, logger: logger) { _ in
            fflush(nil)
            _exit(130)
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: watcher),
                .init(service: WorkerService(worker: worker),
                      successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
