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
        let empty = try temporaryFolder("fatnn-nodata")
        let sweep = #"{ "name": "m", "base": {"model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1, 2] }"#
        try await withCoordinator { url, store in
            _ = try await testClient(url).submit(document: Data(sweep.utf8))
            do {
                try await quietWorker(url, dataDirectory: empty).run()
                Issue.record("the worker ran jobs without their dataset")
            } catch let e as WorkerError {
                #expect(e.reason.contains("has no mnist/ directory"))
            }
            #expect(try store.counts() == ["queued": 2, "leased": 0, "succeeded": 0, "failed": 0, "dead": 0, "cancelled": 0, "pruned": 0])
        }
    }

    @Test func dataDirectoryRule() async throws {
        let root = try temporaryFolder("fatnn-root")
        try FileManager.default.createDirectory(atPath: root + "/fashion-mnist", withIntermediateDirectories: true)
        let cache = DatasetCache(dataDirectory: root, client: try testClient("http://127.0.0.1:9"), logger: Logger(label: "test"))
        // fashion-mnist resolves to ROOT/fashion-mnist (empty here, so the IDX file is missing);
        // mnist has no folder and is refused rather than read from ROOT.
        await #expect(throws: DataError.cannotOpen(path: root + "/fashion-mnist/train-images-idx3-ubyte", reason: "No such file or directory")) {
            try await cache.dataset(.fashionMNIST)
        }
        do {
            _ = try await cache.dataset(.mnist)
            Issue.record("mnist read from a foreign folder")
        } catch let e as DataError {
            #expect(e.description.contains("has no mnist/ directory"))
        }
    }
}
