import FATNNVocabulary

/// Building the architectures (``ModelArchitecture``, the shared vocabulary).
extension ModelArchitecture {
    /// Whether the architecture has convolutions that `quantizer` could quantize.
    public func supports(_ quantizer: QuantizerSettings) -> Bool { supports(quantizer.kind) }

    /// Builds the network for images of `input` shape and `classes` outputs, initialized from
    /// `seed`, with every convolution but the first quantized by `quantizer`.
    ///
    /// The same seed gives the same initial float weights whatever the quantizer.
    public func build(input: ImageShape, classes: Int, seed: UInt64, quantizer: QuantizerSettings = .fp) -> Sequential {
        precondition(supports(quantizer), "\(rawValue) cannot be quantized with \(quantizer.kind.rawValue)")
        var rng = RandomSource.stream(seed: seed, 1)
        switch self {
        case .mlp:
            return Sequential([
                Linear(name: "fc1", inFeatures: input.count, outFeatures: 256, bias: false, rng: &rng),
                BatchNorm(name: "bn1", features: 256),
                ReLU(),
                Linear(name: "fc2", inFeatures: 256, outFeatures: 256, bias: false, rng: &rng),
                BatchNorm(name: "bn2", features: 256),
                ReLU(),
                Linear(name: "fc3", inFeatures: 256, outFeatures: classes, bias: true, rng: &rng),
            ])
        case .cnnS:
            var layers: [any Layer] = []
            var shape = input
            func convBNReLU(_ name: String, _ out: Int, last: Bool = false) {
                let conv = makeConv(name: "\(name).conv", input: shape, outChannels: out, kernel: 3, padding: 1,
                                    quantizer: layers.isEmpty ? .fp : quantizer, rng: &rng)
                shape = conv.output
                layers += [conv.layer, BatchNorm(name: "\(name).bn", features: out, spatial: shape.plane)]
                if last || quantizer.keepsReLUsBeforeQuantizedConvs { layers.append(ReLU()) }
            }
            func pool() {
                let p = MaxPool2d(input: shape)
                shape = p.output
                layers.append(p)
            }
            convBNReLU("block1", 32)
            (layers[0] as? Conv2d)?.needsInputGradient = false
            convBNReLU("block2", 32); pool()
            convBNReLU("block3", 64); convBNReLU("block4", 64); pool()
            convBNReLU("block5", 128, last: true)
            layers.append(GlobalAvgPool(input: shape))
            layers.append(Linear(name: "fc", inFeatures: 128, outFeatures: classes, bias: true, rng: &rng))
            return Sequential(layers)
        case .resnet20:
            let stem = Conv2d(name: "conv1", input: input, outChannels: 16, kernel: 3, padding: 1, rng: &rng)
            stem.needsInputGradient = false
            var shape = stem.output
            var layers: [any Layer] = [stem, BatchNorm(name: "bn1", features: 16, spatial: shape.plane)]
            if quantizer.keepsReLUsBeforeQuantizedConvs { layers.append(ReLU()) }
            for (stage, channels) in [16, 32, 64].enumerated() {
                for b in 0..<3 {
                    let block = BasicBlock(name: "layer\(stage + 1).\(b)", input: shape, outChannels: channels,
                                           stride: stage > 0 && b == 0 ? 2 : 1, quantizer: quantizer,
                                           lastBlock: stage == 2 && b == 2, rng: &rng)
                    shape = block.output
                    layers.append(block)
                }
            }
            layers.append(GlobalAvgPool(input: shape))
            layers.append(Linear(name: "fc", inFeatures: 64, outFeatures: classes, bias: true, rng: &rng))
            return Sequential(layers)
        }
    }
}

/// A convolution, quantized or not, with its output shape.
func makeConv(name: String, input: ImageShape, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
              quantizer: QuantizerSettings, rng: inout RandomSource) -> (layer: any Layer, output: ImageShape) {
    if quantizer.kind == .fp {
        let c = Conv2d(name: name, input: input, outChannels: outChannels, kernel: kernel, stride: stride, padding: padding, rng: &rng)
        return (c, c.output)
    }
    let c = QuantizedConv2d(name: name, input: input, outChannels: outChannels, kernel: kernel, stride: stride,
                            padding: padding, quantizer: quantizer, rng: &rng)
    return (c, c.output)
}
