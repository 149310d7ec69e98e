/// Learning-rate schedule over the whole run.
public enum LearningRateSchedule: String, CaseIterable, Sendable, Codable {
    /// The base rate throughout.
    case constant
    /// Cosine decay from the base rate to zero over all steps.
    case cosine
}

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
    /// Fixes initialization and data order: the same seed and thread count give the same run.
    public var seed: UInt64

    /// Settings with the given values; defaults are a sound SGD recipe.
    public init(epochs: Int, batchSize: Int = 128, learningRate: Float = 0.1, momentum: Float = 0.9,
                nesterov: Bool = false, weightDecay: Float = 5e-4, schedule: LearningRateSchedule = .cosine,
                seed: UInt64 = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.seed = seed
    }

    /// The learning rate at `step` of `totalSteps`.
    public func learningRate(step: Int, totalSteps: Int) -> Float {
        switch schedule {
        case .constant: return learningRate
        case .cosine:
            let t = Double(step) / Double(max(1, totalSteps))
            return Float(0.5 * (1 + cos(Double.pi * t))) * learningRate
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
