import ArgumentParser
import FATNNClient
import FATNNEngine
import FATNNWorker
import Foundation
import Logging

@main
struct FATNNWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fatnn-worker",
        abstract: "Pull FATNN jobs from a coordinator, train and evaluate them, and report results.",
        discussion: """
            Claims one job at a time, reports every epoch's progress (which also keeps the claim \
            alive), and posts the result. While the coordinator is unreachable it retries with \
            backoff. A worker that dies loses only its current job, which the coordinator hands out \
            again when the claim's lease expires.
            """)

    @Option(help: ArgumentHelp("Coordinator URL.", valueName: "url"))
    var coordinator: String = ProcessInfo.processInfo.environment["FATNN_COORDINATOR"] ?? "http://127.0.0.1:8470"

    @Option(help: ArgumentHelp("Bearer token (prefer --token-file or FATNN_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("File holding the bearer token.", valueName: "file"))
    var tokenFile: String?

    @Flag(help: "Run at most one job, then exit.")
    var once = false

    @Flag(help: "Exit when no job is queued instead of waiting for more.")
    var exitWhenIdle = false

    @Option(help: "Engine threads (OpenBLAS). With several workers on one host, give each cores/workers.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Dataset root: dataset NAME is read from DIR/NAME (or from DIR when it is named NAME); default /usr/share/datasets/NAME.", valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("Checkpoint every epoch here, so that a job re-run on this host after a crash resumes; 'none' disables.", valueName: "dir"))
    var checkpointDir: String = (NSHomeDirectory() as NSString).appendingPathComponent(".cache/fatnn/checkpoints")

    @Option(help: "Worker name shown in the coordinator (default HOST-PID).")
    var name: String?

    @Option(help: "Seconds between claims while the queue is empty.")
    var pollSeconds: Double = 2

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be in 1...256") }
        guard pollSeconds > 0 && pollSeconds <= 3600 else { throw ValidationError("--poll-seconds must be in (0, 3600]") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        BLAS.setThreads(threads)
        let options = WorkerOptions(coordinator: coordinator, token: try TokenSource.resolve(token: token, tokenFile: tokenFile),
                                    name: name, once: once, exitWhenIdle: exitWhenIdle, pollSeconds: pollSeconds,
                                    dataDirectory: dataDir, checkpointDirectory: checkpointDir == "none" ? nil : checkpointDir)
        let worker = try Worker(options: options, logger: Logger(label: "fatnn-worker"))
        try await worker.run()
    }
}
