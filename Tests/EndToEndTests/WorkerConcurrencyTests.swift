@testable import FATNNWorker
import FATNNClient
import FATNNCoordinator
import FATNNEngine
import FATNNJobs
import Foundation
import Logging
import Testing

@Suite(.serialized) struct WorkerConcurrencyTests {
    /// `--concurrency 2`: one worker process runs two jobs at once, as two named claim loops
    /// sharing one dataset cache.
    @Test func oneWorkerRunsTwoJobsAtOnce() async throws {
        BLAS.setThreads(1)
        let sweep = """
            { "name": "concurrent", "base": { "model": "mlp",
                "dataset": {"name": "fashion-mnist", "validationFraction": 0.05, "trainLimit": 500},
                "training": {"epochs": 2, "batchSize": 50, "learningRate": 0.1} },
              "seeds": [1, 2] }
            """
        try await withCoordinator { url, store in
            _ = try await testClient(url).submit(document: Data(sweep.utf8))
            #expect(try await quietWorker(url, name: "pair", concurrency: 2, slowEpochs: 0.3).run() == 2)
            #expect(try store.counts()["succeeded"] == 2)
            let names = Set(try [1, 2].flatMap { try store.attempts(job: Int64($0)).map(\.worker) })
            #expect(names == ["pair/0", "pair/1"], "both loops claimed a job: \(names)")
        }
    }
}
