@testable import FATNNWorker
import FATNNClient
import FATNNCoordinator
import FATNNJobs
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing

/// A worker facing a coordinator that is briefly away, or that refuses a report (issue 19): the
/// first is retried like every other request, the second is set aside with its reason instead
/// of blocking every later start.
@Suite(.serialized) struct WorkerRobustnessTests {
    static var quiet: Logger {
        var logger = Logger(label: "test-worker")
        logger.logLevel = .critical
        return logger
    }

    /// A TCP port nothing listens on (bound, read, released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    @Test func datasetFetchWaitsForACoordinatorThatIsNotUpYet() async throws {
        let (root, _) = try DatasetFetchTests.servedRoot()
        let port = try Self.freePort(), url = "http://127.0.0.1:\(port)"
        let cache = DatasetCache(dataDirectory: nil, source: .coordinator, cacheDirectory: try temporaryFolder("fatnn-dscache"),
                                 client: try testClient(url), logger: Self.quiet,
                                 retry: RetryPolicy(initialDelay: 0.2, maxDelay: 0.5, maxAttempts: 60))
        // Asked while nothing listens: the fetch keeps trying until the coordinator comes up.
        let fetch = Task { try await cache.dataset(.fashionMNIST) }
        try await Task.sleep(nanoseconds: 1_000_000_000)
        try await withCoordinator(datasets: DatasetLibrary(dataDirectory: root), port: port) { _, _ in
            let dataset = try await fetch.value
            #expect(dataset.train.count == 600 && dataset.test.count == 200)
        }
    }

    @Test func refusedReportIsSetAsideWithItsReason() async throws {
        let spoolDir = try temporaryFolder("fatnn-spool")
        let sweep = #"{ "name": "refuse", "base": {"model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#
        try await withCoordinator { url, store in
            let client = try testClient(url)
            _ = try await client.submit(document: Data(sweep.utf8))
            let job = try #require(try await client.claim(worker: "w", host: "h"))
            // A report whose model the coordinator refuses (400: not a model file), spooled by an
            // earlier run of this worker.
            let spool = try ResultSpool(directory: spoolDir)
            var result = JobResult(testAccuracy: 0.8, testLoss: 0.5, validationAccuracy: nil, trainLoss: 0.4, trainSeconds: 1,
                                   imagesPerSecond: 100, epochs: [], host: "h", threads: 1)
            result.packedExact = nil
            let name = try spool.save(SpoolEntry(coordinator: url, job: job.id, attempt: job.attempt, claimToken: job.claimToken,
                                                 result: result, error: nil, modelFile: nil), model: Data("not a model".utf8))
            let worker = try Worker(options: WorkerOptions(coordinator: url, token: testToken, spoolDirectory: spoolDir), logger: Self.quiet)
            try await worker.drainSpool()  // before: the 400 was thrown here, on every start
            let reason = try String(contentsOfFile: spoolDir + "/rejected/\(name).reason", encoding: .utf8)
            #expect(reason.contains("400") && reason.contains("not a FATNN model file"), "\(reason)")
            #expect(FileManager.default.fileExists(atPath: spoolDir + "/rejected/\(name).json"))
            #expect(spool.pending(for: url).isEmpty)
            #expect(try store.artifact(configHash: job.config.configHash) == nil)
            // The refused model failed the job on the spot (a job error), not by its lease running out.
            let attempts = try store.attempts(job: job.id)
            #expect(attempts.last?.outcome == .error && attempts.last?.error?.contains("refused the trained model") == true,
                    "\(attempts)")
            // An entry that cannot be read is set aside the same way, not skipped forever.
            try Data("{\"job\": ".utf8).write(to: URL(fileURLWithPath: spoolDir + "/job-9-a1.json"))
            #expect(spool.pending(for: url).isEmpty)
            let unreadable = try String(contentsOfFile: spoolDir + "/rejected/job-9-a1.reason", encoding: .utf8)
            #expect(unreadable.contains("unreadable spool entry"), "\(unreadable)")
        }
    }
}
