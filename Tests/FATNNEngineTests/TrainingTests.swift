@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

@Suite(.serialized) struct TrainingTests {
    private func run(_ data: Dataset, seed: UInt64, epochs: Int = 2) -> TrainingReport {
        let split = DataSplit.holdout(count: data.train.count, validationFraction: 0.1, seed: 0)
        let model = ModelArchitecture.mlp.build(input: ImageShape(channels: 1, height: 28, width: 28), classes: 10, seed: seed)
        return Trainer(model: model, dataset: data, split: split,
                       settings: TrainingSettings(epochs: epochs, batchSize: 32, learningRate: 0.05, seed: seed)).run()
    }

    /// The OpenBLAS thread count is process-wide: every test in this process uses 1 thread, so
    /// that runs on other suites' threads cannot change it between the two runs compared here.
    @Test func sameSeedSameRunBitForBit() throws {
        BLAS.setThreads(1)
        let data = try Dataset.load(.fashionMNIST, directory: IDXFixtures.dataset(train: 300, test: 100, gzip: true))
        let a = run(data, seed: 11), b = run(data, seed: 11), c = run(data, seed: 12)
        #expect(a.epochs.map(\.trainLoss) == b.epochs.map(\.trainLoss))
        #expect(a.testAccuracy == b.testAccuracy && a.testLoss == b.testLoss)
        #expect(a.epochs.map(\.trainLoss) != c.epochs.map(\.trainLoss))
    }

    @Test func convolutionalRunIsDeterministicToo() throws {
        BLAS.setThreads(1)
        let data = try Dataset.load(.fashionMNIST, directory: IDXFixtures.dataset(train: 96, test: 32, gzip: false))
        let split = DataSplit.holdout(count: 96, validationFraction: 0, seed: 0)
        func once() -> [Double] {
            let model = ModelArchitecture.resnet20.build(input: data.train.shape, classes: 10, seed: 4)
            return Trainer(model: model, dataset: data, split: split,
                           settings: TrainingSettings(epochs: 2, batchSize: 32, learningRate: 0.05, seed: 4)).run().epochs.map(\.trainLoss)
        }
        #expect(once() == once())
    }

    @Test func learnsSyntheticBands() throws {
        let data = try Dataset.load(.fashionMNIST, directory: IDXFixtures.dataset(train: 600, test: 200, gzip: false))
        let r = run(data, seed: 1, epochs: 3)
        #expect(r.epochs.last!.trainLoss < r.epochs.first!.trainLoss)
        #expect(r.testAccuracy > 0.9)
    }

    /// Real Fashion-MNIST (the Debian package `dataset-fashion-mnist`, installed by scripts/test.sh).
    @Test func beatsChanceOnRealFashionMNIST() throws {
        BLAS.setThreads(1)
        let data = try Dataset.load(.fashionMNIST)
        #expect(data.train.count == 60_000 && data.test.count == 10_000)
        let split = DataSplit.holdout(count: data.train.count, validationFraction: 0.05, seed: 0, trainLimit: 3000)
        let model = ModelArchitecture.mlp.build(input: ImageShape(channels: 1, height: 28, width: 28), classes: 10, seed: 3)
        let r = Trainer(model: model, dataset: data, split: split,
                        settings: TrainingSettings(epochs: 2, batchSize: 64, learningRate: 0.1, seed: 3)).run()
        #expect(r.epochs[1].trainLoss < r.epochs[0].trainLoss)
        #expect(r.testAccuracy > 0.72, "test accuracy \(r.testAccuracy)")
    }
}
