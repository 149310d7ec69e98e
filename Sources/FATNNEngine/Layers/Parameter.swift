/// A learnable tensor with its gradient and optimizer state.
///
/// Parameters are reference types so that a layer and the optimizer share one storage.
/// A parameter is owned by one training loop on one thread at a time.
public final class Parameter {
    /// Stable name, used in checkpoints (e.g. `fc1.weight`).
    public let name: String
    /// Current values.
    public var value: [Float]
    /// Gradient of the loss with respect to `value`, accumulated by `backward`.
    public var grad: [Float]
    /// Momentum buffer of the optimizer.
    public var velocity: [Float]
    /// Whether weight decay applies (false for BatchNorm parameters and biases).
    public let decays: Bool

    /// A parameter with initial values.
    public init(name: String, value: [Float], decays: Bool) {
        self.name = name
        self.value = value
        self.grad = [Float](repeating: 0, count: value.count)
        self.velocity = [Float](repeating: 0, count: value.count)
        self.decays = decays
    }

    /// Sets the gradient to zero.
    public func zeroGrad() {
        for i in grad.indices { grad[i] = 0 }
    }
}

/// A named non-learnable tensor saved with the model (e.g. BatchNorm running statistics).
public final class Buffer {
    /// Stable name, used in checkpoints.
    public let name: String
    /// Current values.
    public var value: [Float]

    /// A buffer with initial values.
    public init(name: String, value: [Float]) {
        self.name = name
        self.value = value
    }
}
