@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

@Suite struct StopAndDivergenceTests {
    @Test func lossStaysFiniteForConfidentWrongPredictions() {
        let logits = Matrix(rows: 1, cols: 3, data: [200, -200, 0])
        let (loss, grad, correct) = SoftmaxCrossEntropy.evaluate(logits: logits, labels: [1])
        #expect(loss.isFinite && abs(loss - 400) < 1e-3)
        #expect(grad.data.allSatisfy(\.isFinite) && correct == 0)
    }

    @Test func requestedStopSkipsTestEvaluation() throws {
        let data = try Dataset.load(.fashionMNIST, directory: IDXFixtures.dataset(train: 100, test: 50, gzip: false))
        let split = DataSplit.holdout(count: 100, validationFraction: 0, seed: 0)
        let model = ModelArchitecture.mlp.build(input: ImageShape(channels: 1, height: 28, width: 28), classes: 10, seed: 1)
        var calls = 0
        let r = Trainer(model: model, dataset: data, split: split, settings: TrainingSettings(epochs: 5, batchSize: 25, seed: 1))
            .run(progress: { _ in calls += 1 }, shouldStop: { calls >= 2 })
        #expect(r.epochs.count == 2 && r.stoppedEarly == .requested && r.testAccuracy == 0)
    }

    @Test func divergenceEndsTheRun() throws {
        let data = try Dataset.load(.fashionMNIST, directory: IDXFixtures.dataset(train: 100, test: 50, gzip: false))
        let split = DataSplit.holdout(count: 100, validationFraction: 0, seed: 0)
        let model = ModelArchitecture.mlp.build(input: ImageShape(channels: 1, height: 28, width: 28), classes: 10, seed: 1)
        let r = Trainer(model: model, dataset: data, split: split,
                        settings: TrainingSettings(epochs: 50, batchSize: 25, learningRate: 1e30, momentum: 0, weightDecay: 0,
                                                   schedule: .constant, seed: 1)).run()
        guard case .diverged(let epoch)? = r.stoppedEarly else { Issue.record("did not diverge: \(r.epochs.map(\.trainLoss))"); return }
        #expect(r.epochs.count == epoch && !(r.epochs.last!.trainLoss <= Trainer.divergedLoss))
    }
}
