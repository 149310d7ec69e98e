@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

@Suite struct OptimizerTests {
    @Test func adamFirstStepIsTheLearningRateAndItConverges() {
        let p = Parameter(name: "w", value: [3, -2], decays: false)
        let adam = Adam()
        p.grad = p.value.map { 2 * $0 }
        adam.step([p], learningRate: 0.1)
        #expect(abs(p.value[0] - 2.9) < 1e-5 && abs(p.value[1] + 1.9) < 1e-5)
        #expect(p.grad == [0, 0])
        for _ in 0..<500 {
            p.grad = p.value.map { 2 * $0 }
            adam.step([p], learningRate: 0.05)
        }
        #expect(abs(p.value[0]) < 0.05 && abs(p.value[1]) < 0.05)
    }

    @Test func sgdMomentumMatchesPyTorchRule() {
        let p = Parameter(name: "w", value: [1], decays: true)
        let sgd = SGD(momentum: 0.9, nesterov: false, weightDecay: 0.1)
        p.grad = [0.5]
        sgd.step([p], learningRate: 0.1)   // v = 0.5 + 0.1·1 = 0.6; w = 1 - 0.06
        #expect(abs(p.value[0] - 0.94) < 1e-6)
        p.grad = [0.5]
        sgd.step([p], learningRate: 0.1)   // v = 0.9·0.6 + 0.5 + 0.094 = 1.134; w = 0.94 - 0.1134
        #expect(abs(p.value[0] - 0.8266) < 1e-6)
    }

    @Test func warmupRampsThenCosineDecays() {
        let s = TrainingSettings(epochs: 10, learningRate: 1, schedule: .cosine, warmupEpochs: 1)
        #expect(s.learningRate(step: 0, totalSteps: 100, warmupSteps: 10) == 0.1)
        #expect(s.learningRate(step: 9, totalSteps: 100, warmupSteps: 10) == 1)
        #expect(s.learningRate(step: 10, totalSteps: 100, warmupSteps: 10) == 1)
        #expect(abs(s.learningRate(step: 55, totalSteps: 100, warmupSteps: 10) - 0.5) < 1e-6)
        #expect(s.learningRate(step: 99, totalSteps: 100, warmupSteps: 10) < 0.01)
    }

    @Test func adamTrainsTheMLP() throws {
        let data = try Dataset.load(.fashionMNIST, directory: IDXFixtures.dataset(train: 300, test: 100, gzip: false))
        let split = DataSplit.holdout(count: 300, validationFraction: 0, seed: 0)
        let model = ModelArchitecture.mlp.build(input: data.train.shape, classes: 10, seed: 1)
        let r = Trainer(model: model, dataset: data, split: split,
                        settings: TrainingSettings(epochs: 3, batchSize: 30, learningRate: 1e-3, optimizer: .adam,
                                                   warmupEpochs: 1, seed: 1)).run()
        #expect(r.epochs.last!.trainLoss < r.epochs.first!.trainLoss)
        #expect(r.testAccuracy > 0.9)
    }
}
