import FATNNClient
import FATNNCoordinator
import FATNNJobs
import FATNNWorker
import Foundation
import Logging
import Testing

// Fixtures shared by the end-to-end suites: temporary folders, clients, quiet in-process
// workers, and an in-process coordinator on a free port.

/// The bearer token of the test coordinators.
let testToken = "test-token-0123456789"

/// A fresh empty folder under the temporary directory.
func temporaryFolder(_ prefix: String) throws -> String {
    let dir = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A client of the test coordinator at `url`.
func testClient(_ url: String) throws -> CoordinatorClient { try CoordinatorClient(baseURL: url, token: testToken) }

/// An in-process worker of the test coordinator that exits when the queue is empty and logs
/// only critical messages.
func quietWorker(_ url: String, name: String? = nil, dataDirectory: String? = nil, checkpointDirectory: String? = nil,
                 concurrency: Int = 1, slowEpochs: Double = 0) throws -> Worker {
    var logger = Logger(label: "test-worker")
    logger.logLevel = .critical
    var options = WorkerOptions(coordinator: url, token: testToken, name: name, exitWhenIdle: true, dataDirectory: dataDirectory,
                                checkpointDirectory: checkpointDirectory, concurrency: concurrency)
    options.faultEpochSeconds = slowEpochs
    return try Worker(options: options, logger: logger)
}

/// A coordinator on a temporary database file and a real HTTP port, for the length of `body`.
func withCoordinator<T: Sendable>(token: String = testToken, datasets: DatasetLibrary = DatasetLibrary(), port: Int = 0,
                                  tls: CoordinatorTLS? = nil, _ body: @Sendable (_ url: String, _ store: JobStore) async throws -> T) async throws -> T {
    let dir = try temporaryFolder("fatnn-e2e")
    let store = try JobStore(path: dir + "/jobs.sqlite", leaseSeconds: 60)
    var logger = Logger(label: "test-coordinator")
    logger.logLevel = .critical  // cancelling the server at the end logs errors that mean nothing here
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = try CoordinatorServer.application(store: store, tokens: CoordinatorTokens(admin: token), port: port, logger: logger,
                                            datasets: datasets, tls: tls) { continuation.yield($0) }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            defer { continuation.finish() }
            try await app.runService(gracefulShutdownSignals: [])
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await group.next()  // the server ended before listening: surface its error
            throw CancellationError()
        }
        let result = try await body("\(tls == nil ? "http" : "https")://127.0.0.1:\(port)", store)
        group.cancelAll()
        return result
    }
}
