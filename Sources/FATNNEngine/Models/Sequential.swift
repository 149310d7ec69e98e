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

    /// Runs the layers of `range` (all by default) in order, except where `fuse(i, h)` runs a
    /// run of layers from `i` on `h` itself and returns their output and how many layers it
    /// covered.
    func forward(_ input: Matrix, training: Bool, layers range: Range<Int>? = nil, fusing fuse: (Int, Matrix) -> (Matrix, Int)?) -> Matrix {
        let range = range ?? 0..<layers.count
        var h = input
        var i = range.lowerBound
        while i < range.upperBound {
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
    ///
    /// A `Conv2d → BatchNorm` pair (plain or quantized) runs as one step: the BatchNorm computes
    /// its sums and the convolution writes the BatchNorm's input gradient straight into its own
    /// layout (``Conv2d/OutputGradient``; same values as running them apart).
    @discardableResult
    public func backward(_ gradOutput: Matrix) -> Matrix {
        var g = gradOutput
        var i = layers.count - 1
        while i >= 0 {
            defer { i -= 1 }
            if layers[i] is ReLU, i > 0, let bn = layers[i - 1] as? BatchNorm, bn.fusedReLU { continue }
            if let bn = layers[i] as? BatchNorm, i > 0, let conv = Self.convolution(layers[i - 1]), conv.fusesBatchNormGradient,
               bn.features == conv.output.channels, bn.spatial == conv.output.plane {
                let gradient = Conv2d.OutputGradient.batchNorm(bn.inputGradient(g))
                g = (layers[i - 1] as? QuantizedConv2d)?.backward(gradient) ?? conv.backward(gradient)
                i -= 1
                continue
            }
            g = layers[i].backward(g)
        }
        return g
    }

    /// The convolution that computes `layer`'s products: itself, or a quantized conv's inner one.
    private static func convolution(_ layer: any Layer) -> Conv2d? {
        (layer as? Conv2d) ?? (layer as? QuantizedConv2d)?.conv
    }

    /// Every learnable parameter, in layer order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// Every saved non-learnable buffer, in layer order.
    public var buffers: [Buffer] { layers.flatMap(\.buffers) }
}
