@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

@Suite(.serialized) struct CheckpointResumeTests {
    /// Training 3 epochs straight equals training 1, saving a checkpoint, loading it into a new
    /// trainer and training 2 more: bit for bit, for SGD and for Adam with augmentation.
    @Test(arguments: [OptimizerKind.sgd, .adam])
    func resumedRunEqualsUninterruptedRun(optimizer: OptimizerKind) throws {
        BLAS.setThreads(1)
        let data = try Dataset.load(.fashionMNIST, directory: IDXFixtures.dataset(train: 200, test: 60, gzip: false))
        let split = DataSplit.holdout(count: 200, validationFraction: 0.1, seed: 3)
        let settings = TrainingSettings(epochs: 3, batchSize: 32, learningRate: optimizer == .adam ? 1e-3 : 0.05, optimizer: optimizer,
                                        warmupEpochs: 1, augmentation: Augmentation(cropPadding: 2, horizontalFlip: true), seed: 5)
        func fresh() -> Trainer {
            Trainer(model: ModelArchitecture.mlp.build(input: data.train.shape, classes: 10, seed: 5), dataset: data, split: split, settings: settings)
        }
        let straight = fresh().run()

        let first = fresh()
        _ = first.trainEpoch()
        var file = ModelFile(architecture: .mlp, dataset: .fashionMNIST, input: data.train.shape, model: first.model)
        file.training = first.state
        file.optimizerMoments = first.optimizerMoments
        let path = IDXFixtures.temporaryDirectory() + "/run.ckpt"
        try file.write(to: path)

        let loaded = try ModelFile.read(from: path)
        #expect(loaded.training == first.state)
        let resumed = Trainer(model: loaded.model, dataset: data, split: split, settings: settings)
        resumed.restore(try #require(loaded.training), optimizerMoments: loaded.optimizerMoments)
        let rest = resumed.run()
        // Everything but the wall time.
        func curve(_ r: TrainingReport) -> [[Double?]] {
            r.epochs.map { [Double($0.epoch), $0.trainLoss, $0.trainAccuracy, $0.validationAccuracy, $0.learningRate, Double($0.images)] }
        }
        #expect(curve(rest) == curve(straight))
        #expect(rest.testAccuracy == straight.testAccuracy && rest.testLoss == straight.testLoss)
        #expect(rest.epochs.map(\.epoch) == [1, 2, 3])
    }
}
