import FATNNVocabulary
/// Hyper-parameters of one training run.
public struct TrainingSettings: Sendable, Equatable {
    /// Passes over the training split.
    public var epochs: Int
    /// Images per step.
    public var batchSize: Int
    /// Base learning rate.
    public var learningRate: Float
    /// SGD momentum.
    public var momentum: Float
    /// Nesterov momentum.
    public var nesterov: Bool
    /// L2 weight decay on weights (never on BatchNorm parameters or biases).
    public var weightDecay: Float
    /// Learning-rate schedule.
    public var schedule: LearningRateSchedule
    /// Optimizer.
    public var optimizer: OptimizerKind
    /// Epochs of linear warm-up from near zero to the base rate before the schedule starts.
    public var warmupEpochs: Int
    /// Epochs at the start during which quantized convolutions bypass their quantizers (train in
    /// full precision); 0 for none.
    public var quantizerWarmupEpochs: Int
    /// Training-time augmentation (drawn from the seed, so runs stay reproducible).
    public var augmentation: Augmentation
    /// Fixes initialization and data order: the same seed and thread count give the same run.
    public var seed: UInt64

    /// Settings with the given values; defaults are a sound SGD recipe.
    public init(epochs: Int, batchSize: Int = 128, learningRate: Float = 0.1, momentum: Float = 0.9,
                nesterov: Bool = false, weightDecay: Float = 5e-4, schedule: LearningRateSchedule = .cosine,
                optimizer: OptimizerKind = .sgd, warmupEpochs: Int = 0, augmentation: Augmentation = .none,
                quantizerWarmupEpochs: Int = 0, seed: UInt64 = 0) {
        self.quantizerWarmupEpochs = quantizerWarmupEpochs
        self.optimizer = optimizer
        self.augmentation = augmentation
        self.warmupEpochs = warmupEpochs
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.seed = seed
    }

    /// The learning rate at `step` of `totalSteps`: during the first `warmupSteps` it rises
    /// linearly (`base·(step+1)/warmupSteps`), then the schedule runs over the remaining steps.
    public func learningRate(step: Int, totalSteps: Int, warmupSteps: Int = 0) -> Float {
        if step < warmupSteps { return learningRate * Float(step + 1) / Float(warmupSteps) }
        switch schedule {
        case .constant: return learningRate
        case .cosine:
            let t = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return Float(0.5 * (1 + cos(Double.pi * t))) * learningRate
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
