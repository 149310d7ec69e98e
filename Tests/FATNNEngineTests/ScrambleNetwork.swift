@testable import FATNNEngine

/// Scrambles a network's BatchNorm statistics (γ negative, zero on channel 1, positive; means over
/// `±meanSpread/2`, variances in `1...1 + varianceSpread`) and its quantizers' steps (FATNN's
/// activation and weight α, LSQ's activation and weight steps), so that packed-network tests see
/// folded thresholds of both directions, constant channels and output scales other than 1.
func scrambleNetwork(_ layers: [any Layer], _ rng: inout RandomSource, meanSpread: Float = 20, varianceSpread: Float = 50) {
    for layer in layers {
        if let bn = layer as? BatchNorm {
            for c in 0..<bn.features {
                let g = rng.nextUnitFloat()
                bn.gamma.value[c] = c == 1 ? 0 : (g < 0.2 ? -g - 0.1 : g + 0.2)
                bn.beta.value[c] = rng.nextUnitFloat() - 0.3
                bn.runningMean.value[c] = (rng.nextUnitFloat() - 0.5) * meanSpread
                bn.runningVar.value[c] = rng.nextUnitFloat() * varianceSpread + 1
            }
        } else if let q = layer as? QuantizedConv2d {
            if let a = q.activations as? FATNNActivationQuantizer {
                for i in a.alpha.value.indices { a.alpha.value[i] = 1 + 3 * rng.nextUnitFloat() }
            }
            if let w = q.weights as? FATNNWeightQuantizer {
                for i in w.alpha.value.indices { w.alpha.value[i] = 0.5 + rng.nextUnitFloat() }
            }
            if let a = q.activations as? LSQActivationQuantizer { a.step.value[0] = 0.2 + 0.6 * rng.nextUnitFloat() }
            if let w = q.weights as? LSQWeightQuantizer { w.step.value[0] = 0.03 + 0.1 * rng.nextUnitFloat() }
        } else if let b = layer as? BasicBlock {
            scrambleNetwork(b.main.layers, &rng, meanSpread: meanSpread, varianceSpread: varianceSpread)
            scrambleNetwork(b.shortcut?.layers ?? [], &rng, meanSpread: meanSpread, varianceSpread: varianceSpread)
        }
    }
}
