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

@Suite struct ModelFileTests {
    private func trainedFile() throws -> (String, Sequential) {
        let model = ModelArchitecture.mlp.build(input: ImageShape(channels: 1, height: 28, width: 28), classes: 10, seed: 5)
        for (i, b) in model.buffers.enumerated() { b.value = b.value.map { $0 + Float(i) * 0.25 } }
        let path = IDXFixtures.temporaryDirectory() + "/m.fatnn"
        try ModelFile(architecture: .mlp, dataset: .fashionMNIST, input: ImageShape(channels: 1, height: 28, width: 28), model: model).write(to: path)
        return (path, model)
    }

    @Test func roundTripsEveryTensor() throws {
        let (path, model) = try trainedFile()
        let loaded = try ModelFile.read(from: path)
        #expect(loaded.architecture == .mlp && loaded.dataset == .fashionMNIST)
        #expect(loaded.model.parameters.map(\.value) == model.parameters.map(\.value))
        #expect(loaded.model.buffers.map(\.value) == model.buffers.map(\.value))
    }

    @Test func rejectsAlteredTruncatedAndForeignFiles() throws {
        let (path, _) = try trainedFile()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path + ".altered"))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path + ".cut"))
        try Data("hello world, not a model".utf8).write(to: URL(fileURLWithPath: path + ".txt"))
        for (suffix, why) in [(".altered", "checksum"), (".cut", "checksum"), (".txt", "bad magic")] {
            do {
                _ = try ModelFile.read(from: path + suffix)
                Issue.record("\(suffix) accepted")
            } catch let e as DataError {
                #expect(e.description.hasPrefix(path + suffix) && e.description.contains(why), "\(e)")
            }
        }
    }
}

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

@Suite struct ModelFileHeaderTests {
    @Test func rejectsHeadersThatDoNotFitTheDataset() throws {
        let header = #"{"architecture":"mlp","dataset":"fashion-mnist","input":{"channels":1,"height":28,"width":28},"classes":5,"tensors":[]}"#
        var bytes = ModelFile.magic
        let n = UInt32(header.utf8.count)
        bytes += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
        bytes += Array(header.utf8)
        let crc = ModelFile.crc(bytes)
        bytes += [UInt8(crc & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc >> 16 & 0xff), UInt8(crc >> 24)]
        let path = IDXFixtures.temporaryDirectory() + "/crafted.fatnn"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: DataError.malformed(path: path, reason: "classes is 5; dataset fashion-mnist has 10")) {
            try ModelFile.read(from: path)
        }
    }
}

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
