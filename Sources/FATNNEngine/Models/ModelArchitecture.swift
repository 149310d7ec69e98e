/// The network architectures the engine can build, by the names jobs use.
public enum ModelArchitecture: String, CaseIterable, Sendable, Codable {
    /// 784-256-256-10 (for 28x28x1 input): Linear-BN-ReLU twice, then a Linear classifier.
    case mlp

    /// Builds the network for inputs of `inputFeatures` values and `classes` outputs, initialized
    /// from `seed`.
    public func build(inputFeatures: Int, classes: Int, seed: UInt64) -> Sequential {
        var rng = RandomSource.stream(seed: seed, 1)
        switch self {
        case .mlp:
            return Sequential([
                Linear(name: "fc1", inFeatures: inputFeatures, outFeatures: 256, bias: false, rng: &rng),
                BatchNorm(name: "bn1", features: 256),
                ReLU(),
                Linear(name: "fc2", inFeatures: 256, outFeatures: 256, bias: false, rng: &rng),
                BatchNorm(name: "bn2", features: 256),
                ReLU(),
                Linear(name: "fc3", inFeatures: 256, outFeatures: classes, bias: true, rng: &rng),
            ])
        }
    }
}
