/// The optimizers a run can use, by the names jobs and the command line use.
public enum OptimizerKind: String, CaseIterable, Sendable, Codable, VocabularyTerm {
    /// SGD with (Nesterov) momentum.
    case sgd
    /// Adam (Kingma & Ba), with L2 weight decay added to the gradient as PyTorch's `Adam` does.
    case adam
}

/// Learning-rate schedule over the whole run.
public enum LearningRateSchedule: String, CaseIterable, Sendable, Codable, VocabularyTerm {
    /// The base rate throughout.
    case constant
    /// Cosine decay from the base rate to zero over all steps.
    case cosine
}
