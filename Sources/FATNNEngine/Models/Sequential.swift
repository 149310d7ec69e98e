/// A network that applies its layers in order.
public final class Sequential {
    /// The layers, first to last.
    public let layers: [any Layer]

    /// A network of `layers`.
    public init(_ layers: [any Layer]) { self.layers = layers }

    /// The layers with residual blocks opened up (their main path, then their shortcut), in order.
    public var leafLayers: [any Layer] {
        layers.flatMap { layer -> [any Layer] in
            guard let block = layer as? BasicBlock else { return [layer] }
            return block.main.leafLayers + (block.shortcut?.leafLayers ?? [])
        }
    }

    /// The output of the last layer. Evaluation fuses each convolution with the BatchNorm and
    /// ReLU after it (bit-identical to running them apart; see `Conv2d+Epilogue.swift`).
    ///
    /// Training fuses each `BatchNorm → ReLU` pair into one pass (the BatchNorm's backward then
    /// covers the ReLU).
    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        guard training else { return inferenceForward(input) }
        return forward(input, training: true) { i, h in
            guard let bn = layers[i] as? BatchNorm, i + 1 < layers.count, layers[i + 1] is ReLU else { return nil }
            return (bn.forward(h, training: true, relu: true), 2)
        }
    }

    /// Runs the layers in order, except where `fuse(i, h)` runs a run of layers from `i` on `h`
    /// itself and returns their output and how many layers it covered.
    func forward(_ input: Matrix, training: Bool, fusing fuse: (Int, Matrix) -> (Matrix, Int)?) -> Matrix {
        var h = input
        var i = 0
        while i < layers.count {
            if let (y, covered) = fuse(i, h) {
                h = y
                i += covered
            } else {
                h = layers[i].forward(h, training: training)
                i += 1
            }
        }
        return h
    }

    /// Backpropagates `gradOutput` through every layer, accumulating parameter gradients.
    @discardableResult
    public func backward(_ gradOutput: Matrix) -> Matrix {
        var g = gradOutput
        for i in layers.indices.reversed() {
            if layers[i] is ReLU, i > 0, let bn = layers[i - 1] as? BatchNorm, bn.fusedReLU { continue }
            g = layers[i].backward(g)
        }
        return g
    }

    /// Every learnable parameter, in layer order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// Every saved non-learnable buffer, in layer order.
    public var buffers: [Buffer] { layers.flatMap(\.buffers) }
}
