/// Compiling a trained network into the packed network's program: each quantized conv's kernel
/// and packed weights, the folded thresholds, and the float tails.
extension PackedNetwork {
    static func compile(_ layers: [any Layer], _ supply: inout Prepacked?, ternary: PackedKernel.Kind) throws -> [Op] {
        var ops: [Op] = []
        var haveCodes = false
        var i = 0
        while i < layers.count {
            let layer = layers[i]
            if let q = layer as? QuantizedConv2d {
                let conv = try packedConv(q, &supply, ternary: ternary)
                if !haveCodes { ops.append(.quantize(q.activations, shape: q.input, kind: conv.weights.kind, padding: conv.padding)) }
                // A ternary conv → BN → ReLU → ternary conv: integer thresholds straight to the next runs.
                if conv.weights.kind == ternary, i + 3 < layers.count, let bn = layers[i + 1] as? BatchNorm,
                   let relu = layers[i + 2] as? ReLU, let next = layers[i + 3] as? QuantizedConv2d,
                   (try? kernelKind(next, ternary: ternary)) == ternary, let offsets = conv.additiveOffsets {
                    let t: FoldedThresholds
                    if var s = supply {
                        guard s.nextFold < s.folds.count, s.folds[s.nextFold].channels == conv.output.channels else {
                            throw Error(description: "\(q.name): the packed file's thresholds do not fit this layer")
                        }
                        t = s.folds[s.nextFold]
                        s.nextFold += 1
                        supply = s
                    } else {
                        let scales = conv.scales, plane = conv.output.plane
                        t = try FoldedThresholds.derive(channels: conv.output.channels, spatial: plane,
                                                        zMax: 2 * conv.weights.bits, rowSums: offsets) { z in
                            var y = z
                            if let scales { QuantizedConv2d.scaleChannels(&y, scales, plane: plane) }
                            return next.activations.codeForward(relu.forward(bn.forward(y, training: false), training: false), training: false)
                        }
                    }
                    ops.append(.convThresholds(conv, t, padding: next.conv.padding))
                    haveCodes = true
                    i += 3
                    continue
                }
                ops.append(.conv(conv))
                ops.append(.dequantize(conv))
            } else if let block = layer as? BasicBlock {
                var main = try compile(block.main.layers, &supply, ternary: ternary)
                if main.count >= 2, case .dequantize(let c) = main[main.count - 2], case .layer(let l) = main[main.count - 1],
                   let bn = l as? BatchNorm, bn.features == c.output.channels, bn.spatial == c.output.plane {
                    main.removeLast(2)
                    main.append(.normJoin(c, bn))
                }
                var shortcut = try block.shortcut.map { try compile($0.layers, &supply, ternary: ternary) }
                if let s = shortcut, s.count >= 2, case .dequantize(let c) = s[s.count - 2], case .layer(let l) = s[s.count - 1],
                   let bn = l as? BatchNorm, bn.features == c.output.channels, bn.spatial == c.output.plane {
                    shortcut = s.dropLast(2) + [.dequantizeNorm(c, bn)]
                }
                ops.append(.residual(main: main, shortcut: shortcut, relu: block.relu))
            } else {
                ops.append(.layer(layer))
            }
            haveCodes = false
            i += 1
        }
        return fuseBlockInputs(groupFloatLayers(fuseNormQuantize(ops)))
    }

    /// The packed kernel for `q`'s pair of quantizers (`ternary` for ternary x ternary).
    static func kernelKind(_ q: QuantizedConv2d, ternary: PackedKernel.Kind) throws -> PackedKernel.Kind {
        switch (q.activations, q.weights) {
        case (let a as FATNNActivationQuantizer, is FATNNWeightQuantizer): return a.steps == 2 ? ternary : .fatnnA2
        case (let a as LSQActivationQuantizer, is TernaryWeightQuantizer) where a.levels == 3: return ternary
        case (let a as LSQActivationQuantizer, is LSQWeightQuantizer) where a.levels == 4: return .twoBitSigned
        case (is BinaryActivationQuantizer, is BinaryWeightQuantizer): return .binary
        default:
            throw Error(description: "\(q.name): no packed kernel for \(type(of: q.activations)) with \(type(of: q.weights))")
        }
    }

    static func packedConv(_ q: QuantizedConv2d, _ supply: inout Prepacked?, ternary: PackedKernel.Kind) throws -> PackedConv {
        let kind = try kernelKind(q, ternary: ternary)
        guard !q.bypassed else { throw Error(description: "\(q.name): the quantizers are bypassed (warm-up)") }
        if var s = supply {
            guard kind == .fatnn, q.quantizedWeights().scales == nil else {
                throw Error(description: "\(q.name): packed files hold fatnn convolutions only (unscaled), not \(kind)")
            }
            guard s.nextConv < s.convs.count else { throw Error(description: "\(q.name): the packed file has too few convolutions") }
            let c = s.convs[s.nextConv]
            guard c.input == q.input, c.output == q.output, c.kernel == q.conv.kernel, c.stride == q.conv.stride,
                  c.padding == q.conv.padding, c.weights.kind == kind else {
                throw Error(description: "\(q.name): the packed file's convolution \(s.nextConv) has another shape")
            }
            s.nextConv += 1
            supply = s
            return c
        }
        let (values, scales) = q.quantizedWeights()
        return try packedConv(q, weightCodes: values, scales: scales, kind: kind)
    }

    /// `q`'s convolution on the packed kernel `kind` with these weight codes (as floats, `q`'s
    /// layout) and output scales; throws for a code outside `kind`'s set or a non-finite scale.
    /// Also ``QuantizedConv2d``'s training-time forward on the packed kernels.
    static func packedConv(_ q: QuantizedConv2d, weightCodes values: [Float], scales: [Float]?,
                           kind: PackedKernel.Kind) throws -> PackedConv {
        var codes = [Int8](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            guard let c = Int8(exactly: v), kind.weightCodes.contains(Int(c)) else {
                throw Error(description: "\(q.name): weight code \(v) is not in \(kind)'s codes \(kind.weightCodes)")
            }
            codes[i] = c
        }
        if let scales, let bad = scales.first(where: { !$0.isFinite }) {
            throw Error(description: "\(q.name): output scale \(bad) is not finite")
        }
        return PackedConv(input: q.input, outChannels: q.output.channels, kernel: q.conv.kernel, stride: q.conv.stride,
                          padding: q.conv.padding, weightCodes: codes, kind: kind, scales: scales)
    }
}
