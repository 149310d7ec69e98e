/// The network architectures, by the names jobs, model files and the command line use. The
/// engine builds them (`ModelArchitecture.build` in `FATNNEngine`).
public enum ModelArchitecture: String, CaseIterable, Sendable, Codable, VocabularyTerm {
    /// Input-784-256-256-classes: Linear-BN-ReLU twice, then a Linear classifier.
    case mlp
    /// A small VGG-style CNN: conv3x3(C→32)-BN-ReLU, conv3x3(32→32)-BN-ReLU, maxpool2,
    /// conv3x3(32→64)-BN-ReLU, conv3x3(64→64)-BN-ReLU, maxpool2, conv3x3(64→128)-BN-ReLU,
    /// global average pool, FC(128→classes). Padding 1, no conv bias.
    case cnnS = "cnn-s"
    /// CIFAR-style ResNet-20: stem conv3x3(C→16)-BN-ReLU, 3 stages of 3 basic blocks (16, 32, 64
    /// channels; stride 2 in the first block of stages 2 and 3; 1x1 conv + BN shortcut where the
    /// shape changes), global average pool, FC(64→classes).
    case resnet20

    /// Whether the architecture has convolutions that a quantizer of `kind` could quantize (the
    /// MLP's first and last layers must stay full precision, which leaves none).
    public func supports(_ kind: QuantizerKind) -> Bool { !kind.quantizes || self != .mlp }
}
