import FATNNEngine
import FATNNJobs
import FATNNVocabulary
@testable import FATNNWorker
import Foundation
import Testing

/// ``JobRunner/plan(_:)``: every field of a validated job reaches the engine's settings.
@Suite struct JobRunnerPlanTests {
    static func config(_ json: String) throws -> JobConfig {
        try JobConfig.validated(from: try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))
    }

    @Test func everyFieldReachesTheEngine() throws {
        let c = try Self.config(#"""
            {"model": "resnet20", "dataset": {"name": "cifar10"}, "seed": 42,
             "quantizer": {"kind": "fatnn-a2", "params": {"activationInit": 3, "activationInitFromData": 1, "weightInit": 0.5,
                                                          "perChannelActivations": 1, "perChannelWeights": 1}},
             "training": {"epochs": 9, "batchSize": 64, "learningRate": 0.05, "optimizer": "adam", "momentum": 0.8, "nesterov": true,
                          "weightDecay": 0.001, "schedule": "constant", "warmupEpochs": 2, "cropPadding": 4, "horizontalFlip": true,
                          "quantizerWarmupEpochs": 3}}
            """#)
        let (arch, q, t) = JobRunner.plan(c)
        #expect(arch == .resnet20)
        #expect(q == QuantizerSettings(kind: .fatnnA2, activationInit: 3, activationInitFromData: true, weightInit: 0.5,
                                       perChannelActivations: true, perChannelWeights: true))
        #expect(t == TrainingSettings(epochs: 9, batchSize: 64, learningRate: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.001,
                                      schedule: .constant, optimizer: .adam, warmupEpochs: 2,
                                      augmentation: Augmentation(cropPadding: 4, horizontalFlip: true), quantizerWarmupEpochs: 3, seed: 42))
    }

    @Test func defaultsAreTheEngineDefaults() throws {
        let (arch, q, t) = JobRunner.plan(try Self.config(#"{"model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0.1}}"#))
        #expect(arch == .mlp && q == .fp)
        #expect(t == TrainingSettings(epochs: 1, learningRate: 0.1))
    }
}
