/// A network that applies its layers in order.
public final class Sequential {
    /// The layers, first to last.
    public let layers: [any Layer]

    /// A network of `layers`.
    public init(_ layers: [any Layer]) { self.layers = layers }

    /// The output of the last layer. Evaluation fuses each convolution with the BatchNorm and
    /// ReLU after it (bit-identical to running them apart; see `Conv2d+Epilogue.swift`).
    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        training ? layers.reduce(input) { $1.forward($0, training: true) } : inferenceForward(input)
    }

    /// Backpropagates `gradOutput` through every layer, accumulating parameter gradients.
    @discardableResult
    public func backward(_ gradOutput: Matrix) -> Matrix {
        layers.reversed().reduce(gradOutput) { $1.backward($0) }
    }

    /// Every learnable parameter, in layer order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// Every saved non-learnable buffer, in layer order.
    public var buffers: [Buffer] { layers.flatMap(\.buffers) }
}
