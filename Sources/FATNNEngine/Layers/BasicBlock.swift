/// The CIFAR-style ResNet basic block: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`,
/// where the shortcut is the identity, or `bn(conv1x1(stride))` when the shape changes.
public final class BasicBlock: Layer {
    public let input: ImageShape
    public let output: ImageShape
    let main: Sequential
    let shortcut: Sequential?
    /// The ReLU after the residual add (nil in binary networks, except before the classifier).
    let relu: ReLU?

    /// A block named `name` (parameters `name.conv1.weight`, …, `name.shortcut.0.weight`).
    ///
    /// With a quantizer, all three convolutions (including the 1x1 shortcut) are quantized. Where
    /// the quantizer drops ReLUs before quantized convs (binary), the block has no ReLU inside and
    /// none after the add unless `lastBlock` (its output then feeds the classifier).
    public init(name: String, input: ImageShape, outChannels: Int, stride: Int, quantizer: QuantizerSettings = .fp,
                lastBlock: Bool = false, rng: inout RandomSource) {
        let relus = quantizer.keepsReLUsBeforeQuantizedConvs
        self.input = input
        let conv1 = makeConv(name: "\(name).conv1", input: input, outChannels: outChannels, kernel: 3, stride: stride, padding: 1,
                             quantizer: quantizer, rng: &rng)
        let mid = conv1.output
        let conv2 = makeConv(name: "\(name).conv2", input: mid, outChannels: outChannels, kernel: 3, padding: 1,
                             quantizer: quantizer, rng: &rng)
        output = conv2.output
        main = Sequential([conv1.layer, BatchNorm(name: "\(name).bn1", features: outChannels, spatial: mid.plane)]
                          + (relus ? [ReLU()] : [])
                          + [conv2.layer, BatchNorm(name: "\(name).bn2", features: outChannels, spatial: output.plane)])
        relu = relus || lastBlock ? ReLU() : nil
        if stride != 1 || input.channels != outChannels {
            let proj = makeConv(name: "\(name).shortcut.0", input: input, outChannels: outChannels, kernel: 1, stride: stride,
                                quantizer: quantizer, rng: &rng)
            shortcut = Sequential([proj.layer, BatchNorm(name: "\(name).shortcut.1", features: outChannels, spatial: output.plane)])
        } else {
            shortcut = nil
        }
    }

    public var parameters: [Parameter] { main.parameters + (shortcut?.parameters ?? []) }
    public var buffers: [Buffer] { main.buffers + (shortcut?.buffers ?? []) }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        let y = main.forward(x, training: training)
        return Self.join(y, shortcut?.forward(x, training: training) ?? x, relu: relu, training: training)
    }

    /// The block's output from its main path `y` and shortcut `s`: `relu(y + s)`, or `y + s`
    /// without a ReLU (shared with the packed network, which must agree bit for bit).
    static func join(_ y: Matrix, _ s: Matrix, relu: ReLU?, training: Bool) -> Matrix {
        if let relu { return relu.forward(y, adding: s, training: training) }
        var sum = y
        sum.add(s)
        return sum
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        let g = relu?.backward(gradOutput) ?? gradOutput
        var dx = main.backward(g)
        let ds = shortcut?.backward(g) ?? g
        dx.add(ds)
        return dx
    }
}
