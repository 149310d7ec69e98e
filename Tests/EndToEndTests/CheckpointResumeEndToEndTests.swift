@testable import FATNNWorker
import FATNNClient
import FATNNCoordinator
import FATNNEngine
import FATNNJobs
import Foundation
import Logging
import Testing

@Suite(.serialized) struct CheckpointResumeEndToEndTests {
    /// A run stopped after its first epoch leaves a checkpoint; the worker that gets the job next
    /// resumes from it, ends with the same result as an uninterrupted run, and removes the file.
    @Test func workerResumesFromTheCheckpointOfAnInterruptedRun() async throws {
        BLAS.setThreads(1)
        let sweep = """
            { "name": "resume", "base": { "model": "mlp",
                "dataset": {"name": "fashion-mnist", "validationFraction": 0.05, "trainLimit": 1000},
                "training": {"epochs": 2, "batchSize": 50, "learningRate": 0.1} },
              "seeds": [7] }
            """
        let config = try Sweep.parse(Data(sweep.utf8)).jobs[0]
        let dataset = try Dataset.load(.fashionMNIST)
        let (straight, _) = try await JobRunner.run(config, dataset: dataset, stop: StopFlag()) { _ in }

        let dir = try temporaryFolder("fatnn-ckpt")
        let path = dir + "/" + config.configHash + ".ckpt"
        let interrupted = StopFlag()
        let (partial, partialModel) = try await JobRunner.run(config, dataset: dataset, stop: interrupted, checkpoint: path) { _ in interrupted.set() }
        #expect(partialModel == nil, "a run that stopped early has no final model")
        #expect(partial.epochs.count == 1 && partial.stoppedEarly == .requested)
        #expect(try ModelFile.read(from: path).training?.epoch == 1)

        try await withCoordinator { url, store in
            let client = try testClient(url)
            _ = try await client.submit(document: Data(sweep.utf8))
            #expect(try await quietWorker(url, checkpointDirectory: dir).run() == 1)
            let row = try #require(try await client.leaderboard().first)
            #expect(row.state == .succeeded)
            #expect(row.testAccuracy == straight.testAccuracy)
            #expect(!FileManager.default.fileExists(atPath: path))
            // Resumed, not rerun: epoch 1 comes from the checkpoint, wall time included.
            let result = try #require(try store.result(job: row.id))
            #expect(result.epochs.count == 2 && result.epochs[0].seconds == partial.epochs[0].seconds)
            #expect(result.epochs[1].trainLoss == straight.epochs[1].trainLoss)
        }
    }
}
