import Foundation

/// What one epoch of training measured.
public struct EpochStats: Sendable, Equatable, Codable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean training loss over the epoch's batches.
    public var trainLoss: Double
    /// Training accuracy over the epoch (with the weights as they were at each step).
    public var trainAccuracy: Double
    /// Accuracy on the validation holdout after the epoch, if there is one.
    public var validationAccuracy: Double?
    /// Learning rate at the epoch's last step.
    public var learningRate: Double
    /// Wall time of the epoch's training steps, in seconds.
    public var seconds: Double
    /// Training images processed.
    public var images: Int
}

/// The outcome of a whole run.
public struct TrainingReport: Sendable {
    /// Per-epoch statistics.
    public var epochs: [EpochStats]
    /// Accuracy on the official test set after the last epoch.
    public var testAccuracy: Double
    /// Mean loss on the official test set.
    public var testLoss: Double
    /// Validation accuracy after the last epoch, if there is a holdout.
    public var validationAccuracy: Double?
    /// Total training time (excluding evaluation), in seconds.
    public var trainSeconds: Double
    /// Training throughput, images per second.
    public var imagesPerSecond: Double
    /// Why training ended before `settings.epochs`, if it did; the test metrics are then zero.
    public var stoppedEarly: TrainingStop?
    /// For packable (`fatnn`) models, filled in by whoever packs and measures the trained model.
    public var packed: PackedReport? = nil
    /// MACs and bit-operations of the trained network for one image (set by the job runner).
    public var operations: OperationCount? = nil
}

/// Where a training run is, beyond the model's weights: enough to continue it bit for bit.
public struct TrainingState: Sendable, Equatable, Codable {
    /// Epochs finished.
    public var epoch: Int
    /// Optimizer steps taken.
    public var step: Int
    /// Position of the data-order generator.
    public var orderPosition: UInt64
    /// Position of the augmentation generator.
    public var augmentPosition: UInt64
    /// Adam's step count (nil for SGD).
    public var adamSteps: Int?
    /// Statistics of the finished epochs.
    public var history: [EpochStats]

    /// Why this state cannot be continued (negative counts, or a history that does not hold one
    /// entry per finished epoch), naming the field; nil when it can.
    public var problem: String? {
        if epoch < 0 || epoch > 1_000_000 { return "epoch must be in 0...1000000, got \(epoch)" }
        if step < 0 { return "step must be ≥ 0, got \(step)" }
        if let a = adamSteps, a < 0 { return "adamSteps must be ≥ 0, got \(a)" }
        if history.count != epoch { return "history has \(history.count) epochs; epoch is \(epoch)" }
        return nil
    }
}

/// Why a training run ended early.
public enum TrainingStop: Sendable, Equatable {
    /// The caller's `shouldStop` returned true.
    case requested
    /// The epoch's training loss was NaN, infinite, or above ``Trainer/divergedLoss``.
    case diverged(epoch: Int)
}

/// Trains a network on a dataset split (SGD or Adam) and evaluates it.
///
/// Deterministic: the same model seed, settings and OpenBLAS thread count give the same run bit
/// for bit. Used by one thread at a time.
public final class Trainer {
    /// The network being trained.
    public let model: Sequential
    /// The data.
    public let dataset: Dataset
    /// Which training images are learned from and which validate.
    public let split: DataSplit
    /// Hyper-parameters.
    public let settings: TrainingSettings
    private let optimizer: any Optimizer
    private var step = 0
    private var epoch = 0
    private var order: RandomSource
    private var augmentRNG: RandomSource
    private var history: [EpochStats] = []

    /// A trainer for `model` on `split` of `dataset`.
    public init(model: Sequential, dataset: Dataset, split: DataSplit, settings: TrainingSettings) {
        precondition(settings.batchSize >= 2, "batch size must be at least 2 (BatchNorm)")
        self.model = model
        self.dataset = dataset
        self.split = split
        self.settings = settings
        switch settings.optimizer {
        case .sgd: optimizer = SGD(momentum: settings.momentum, nesterov: settings.nesterov, weightDecay: settings.weightDecay)
        case .adam: optimizer = Adam(weightDecay: settings.weightDecay)
        }
        order = RandomSource.stream(seed: settings.seed, 2)
        augmentRNG = RandomSource.stream(seed: settings.seed, 3)
    }

    /// A mean training loss above this counts as divergence (a uniform guess over 10 classes
    /// scores ln 10 ≈ 2.3; a loss of 10⁴ means the weights have blown up).
    public static let divergedLoss = 1e4

    /// Steps per epoch: full batches, plus a last partial batch when it holds at least 2 images.
    public var stepsPerEpoch: Int {
        let n = split.trainIndices.count, b = settings.batchSize
        return n / b + (n % b >= 2 ? 1 : 0)
    }

    /// Runs one epoch over a fresh shuffle of the training split.
    public func trainEpoch() -> EpochStats {
        epoch += 1
        model.setQuantizersBypassed(epoch <= settings.quantizerWarmupEpochs)
        let start = Date()
        let perm = order.permutation(split.trainIndices.count).map { split.trainIndices[$0] }
        let totalSteps = stepsPerEpoch * settings.epochs
        let norm = dataset.name.normalization
        var lossSum = 0.0, correct = 0, seen = 0, lr: Float = 0
        for s in 0..<stepsPerEpoch {
            let lo = s * settings.batchSize
            let hi = min(lo + settings.batchSize, perm.count)
            var (x, y) = norm.batch(dataset.train, indices: perm[lo..<hi])
            settings.augmentation.apply(&x, shape: dataset.train.shape, fill: norm.blackLevel, rng: &augmentRNG)
            lr = settings.learningRate(step: step, totalSteps: totalSteps, warmupSteps: stepsPerEpoch * settings.warmupEpochs)
            let (loss, ok) = Self.step(model, optimizer: optimizer, x: x, labels: y, learningRate: lr)
            step += 1
            lossSum += Double(loss) * Double(y.count)
            correct += ok
            seen += y.count
        }
        let seconds = Date().timeIntervalSince(start)
        let val = split.validationIndices.isEmpty ? nil : evaluate(dataset.train, indices: split.validationIndices).accuracy
        let stats = EpochStats(epoch: epoch, trainLoss: lossSum / Double(max(seen, 1)),
                          trainAccuracy: Double(correct) / Double(max(seen, 1)),
                          validationAccuracy: val, learningRate: Double(lr), seconds: seconds, images: seen)
        history.append(stats)
        return stats
    }

    /// The run's position, for a checkpoint (together with the model and ``optimizerMoments``).
    public var state: TrainingState {
        TrainingState(epoch: epoch, step: step, orderPosition: order.position, augmentPosition: augmentRNG.position,
                      adamSteps: (optimizer as? Adam)?.steps, history: history)
    }

    /// Adam's second moments by parameter name (empty for SGD, whose momentum lives in the
    /// parameters' `velocity`).
    public var optimizerMoments: [String: [Float]] {
        (optimizer as? Adam)?.secondMoments(of: model.parameters) ?? [:]
    }

    /// Continues a run saved with ``state`` and ``optimizerMoments``; the model (weights,
    /// running statistics, velocities) must already hold the saved values.
    public func restore(_ saved: TrainingState, optimizerMoments moments: [String: [Float]]) {
        epoch = saved.epoch
        step = saved.step
        order = RandomSource(seed: saved.orderPosition)
        augmentRNG = RandomSource(seed: saved.augmentPosition)
        history = saved.history
        if let adam = optimizer as? Adam {
            adam.restore(steps: saved.adamSteps ?? 0, secondMoments: moments, parameters: model.parameters)
        }
    }

    /// One optimizer step on a batch: forward, softmax cross-entropy, backward, update.
    ///
    /// - Returns: the batch's mean loss (before the update) and its number of correct predictions.
    public static func step(_ model: Sequential, optimizer: any Optimizer, x: Matrix, labels: [Int], learningRate: Float) -> (loss: Float, correct: Int) {
        let logits = model.forward(x, training: true)
        let (loss, grad, correct) = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
        model.backward(grad)
        optimizer.step(model.parameters, learningRate: learningRate)
        return (loss, correct)
    }

    /// Accuracy and mean loss of the model in evaluation mode on `images[indices]`.
    public func evaluate(_ images: LabeledImages, indices: [Int]) -> (accuracy: Double, loss: Double) {
        Evaluator.evaluate(model, images: images, indices: indices, normalization: dataset.name.normalization)
    }

    /// Trains for `settings.epochs` epochs, calling `progress` after each, then evaluates on the
    /// official test set.
    ///
    /// - Parameter shouldStop: asked before each epoch; returning true ends training early.
    /// - Returns: the report; when training stopped early (requested, or the loss diverged) it
    ///   says why, covers the epochs run, and skips the test evaluation.
    public func run(progress: (EpochStats) -> Void = { _ in }, shouldStop: () -> Bool = { false }) -> TrainingReport {
        var stopped: TrainingStop?
        while epoch < settings.epochs {
            if shouldStop() { stopped = .requested; break }
            let e = trainEpoch()
            progress(e)
            if !(e.trainLoss <= Self.divergedLoss) { stopped = .diverged(epoch: e.epoch); break }
        }
        let stats = history
        model.setQuantizersBypassed(false)
        let test = stopped == nil ? evaluate(dataset.test, indices: Array(0..<dataset.test.count)) : (accuracy: 0, loss: 0)
        let seconds = stats.reduce(0) { $0 + $1.seconds }
        let images = stats.reduce(0) { $0 + $1.images }
        return TrainingReport(epochs: stats, testAccuracy: test.accuracy, testLoss: test.loss,
                              validationAccuracy: stats.last?.validationAccuracy, trainSeconds: seconds,
                              imagesPerSecond: seconds > 0 ? Double(images) / seconds : 0, stoppedEarly: stopped)
    }
}

/// Evaluation of a network in inference mode.
public enum Evaluator {
    /// Accuracy and mean cross-entropy of `model` on `images[indices]`, in batches of 1,000.
    public static func evaluate(_ model: Sequential, images: LabeledImages, indices: [Int],
                                normalization: Normalization) -> (accuracy: Double, loss: Double) {
        guard !indices.isEmpty else { return (0, 0) }
        var correct = 0, lossSum = 0.0
        for lo in stride(from: 0, to: indices.count, by: 1000) {
            let hi = min(lo + 1000, indices.count)
            let (x, y) = normalization.batch(images, indices: indices[lo..<hi])
            let (loss, _, ok) = SoftmaxCrossEntropy.evaluate(logits: model.forward(x, training: false), labels: y)
            correct += ok
            lossSum += Double(loss) * Double(y.count)
        }
        return (Double(correct) / Double(indices.count), lossSum / Double(indices.count))
    }
}
