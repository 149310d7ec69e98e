@testable import FATNNWorker
import FATNNClient
import FATNNCoordinator
import FATNNEngine
import FATNNJobs
import Foundation
import Logging
import Testing

@Suite struct WorkerHostProblemTests {
    /// A worker whose host lacks the job's dataset gives the job back and stops, instead of
    /// failing it (and, job after job, the whole queue).
    @Test func missingDatasetReleasesTheJobAndStopsTheWorker() async throws {
        let empty = NSTemporaryDirectory() + "fatnn-nodata-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let sweep = #"{ "name": "m", "base": {"model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1, 2] }"#
        try await withCoordinator { url, store in
            let client = try CoordinatorClient(baseURL: url, token: "test-token-0123456789")
            _ = try await client.submit(document: Data(sweep.utf8))
            var logger = Logger(label: "test-worker")
            logger.logLevel = .critical
            let worker = try Worker(options: WorkerOptions(coordinator: url, token: "test-token-0123456789", exitWhenIdle: true,
                                                           dataDirectory: empty), logger: logger)
            do {
                try await worker.run()
                Issue.record("the worker ran jobs without their dataset")
            } catch let e as WorkerError {
                #expect(e.reason.contains("has no mnist/ directory"))
            }
            #expect(try store.counts() == ["queued": 2, "leased": 0, "succeeded": 0, "failed": 0])
        }
    }

    @Test func dataDirectoryRule() async throws {
        let root = NSTemporaryDirectory() + "fatnn-root-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/fashion-mnist", withIntermediateDirectories: true)
        let cache = DatasetCache(dataDirectory: root)
        // fashion-mnist resolves to ROOT/fashion-mnist (empty here, so the IDX file is missing);
        // mnist has no folder and is refused rather than read from ROOT.
        await #expect(throws: DataError.cannotOpen(path: root + "/fashion-mnist/train-images-idx3-ubyte", reason: "No such file or directory")) {
            try await cache.dataset("fashion-mnist")
        }
        do {
            _ = try await cache.dataset("mnist")
            Issue.record("mnist read from a foreign folder")
        } catch let e as DataError {
            #expect(e.description.contains("has no mnist/ directory"))
        }
    }
}
