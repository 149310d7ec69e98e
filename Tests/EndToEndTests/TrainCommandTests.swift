import FATNNEngine
import FATNNJobs
import FATNNTestSupport
import FATNNVocabulary
@testable import FATNNWorker
import Foundation
import Testing

/// `fatnn train` is the job runner with flags: its flags make the job config a sweep would hold
/// (same checks), and the run is the worker's (same model, bit for bit).
@Suite struct TrainCommandTests {
    /// Runs `fatnn` with `args` (``runCLI(_:_:)``); returns its exit status and output.
    static func run(_ args: [String]) throws -> (status: Int32, output: String) { try runCLI("fatnn", args) }

    @Test func theCommandTrainsWhatAWorkerTrainsForTheSameConfig() throws {
        let dir = IDXFixtures.dataset(train: 250, test: 50, gzip: true)
        let file = IDXFixtures.temporaryDirectory() + "/cnn.model"
        let args = ["train", "--data-dir", dir, "--model", "cnn-s", "--quantizer", "fatnn", "--per-channel-weights", "--epochs", "1",
                    "--batch-size", "64", "--lr", "0.05", "--seed", "3", "--split-seed", "5", "--val-fraction", "0.2", "--threads", "1",
                    "--output", file]
        let (status, output) = try Self.run(args)
        #expect(status == 0, "\(output)")
        #expect(output.contains("200 train, 50 val, 50 test images") && output.contains("epoch 1/1") && output.contains("test accuracy"), "\(output)")
        // The same experiment as a job, run by the worker's runner in this process.
        let config = try JobConfig.validated(from: try JSONDecoder().decode(JSONValue.self, from: Data("""
            {"model": "cnn-s", "dataset": {"name": "fashion-mnist", "validationFraction": 0.2, "splitSeed": 5},
             "quantizer": {"kind": "fatnn", "params": {"perChannelWeights": 1}}, "seed": 3,
             "training": {"epochs": 1, "batchSize": 64, "learningRate": 0.05}}
            """.utf8)))
        BLAS.setThreads(1)
        let (_, trained) = try JobRunner.train(config, dataset: try Dataset.load(.fashionMNIST, directory: dir), measurePacked: false) { _ in }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == trained, "fatnn train and the worker's runner trained different models")
    }

    @Test func badFlagsAreRefusedByTheJobValidationNamingTheFlag() throws {
        let cases: [([String], String)] = [
            (["--epochs", "0"], "--epochs: 0 is out of range"),
            (["--model", "cnn-s", "--quantizer", "tnn", "--per-channel-weights"], "--per-channel-weights: quantizer kind 'tnn' takes no parameters"),
            (["--quantizer", "fatnn"], "--quantizer: model mlp has no convolutions to quantize"),
            (["--schedule", "step"], "--schedule: 'step' is not allowed; allowed: constant, cosine"),
            (["--folds", "5", "--fold", "5"], "--fold: 5 is out of range; allowed: 0...4"),
            (["--split-seed=-3"], "--split-seed: -3 is out of range"),
        ]
        for (args, message) in cases {
            let (status, output) = try Self.run(["train"] + args)
            #expect(status == 64 && output.contains(message), "\(args): \(status) \(output)")
        }
    }
}
