import Foundation

/// What a trained quantized network's quantizers learned, layer by layer: thresholds, steps and
/// how the weight codes are distributed (`fatnn inspect`).
public struct QuantizerReport: Sendable {
    /// One quantized convolution.
    public struct Layer: Sendable {
        public var name: String
        /// Activation thresholds: a code is the number of thresholds strictly below the input
        /// (per layer; per-channel quantizers report the median over channels).
        public var activationThresholds: [Float]
        /// Weight thresholds `(negative, positive)` on standardized weights (FATNN), or nil.
        public var weightThresholds: (Float, Float)?
        /// Fraction of each weight code (value / smallest magnitude), ascending by code.
        public var weightCodes: [(code: Int, fraction: Double)]
    }

    public var layers: [Layer]

    /// The report of every quantized convolution in `model`, in order.
    public init(_ model: Sequential) {
        layers = model.quantizedConvolutions.map { q in
            var thresholds: [Float] = []
            if let a = q.activations as? FATNNActivationQuantizer {
                let groups = a.alpha.value.count / a.steps
                let all = (0..<groups).map { a.thresholds(group: $0) }
                thresholds = (0..<a.steps).map { k in all.map { $0[k] }.sorted()[groups / 2] }
            } else if let a = q.activations as? LSQActivationQuantizer {
                let s = abs(a.step.value[0])
                thresholds = (0..<(a.levels - 1)).map { (Float($0) + 0.5) * s }
            } else if q.activations is BinaryActivationQuantizer {
                thresholds = [0]
            }
            var weightThresholds: (Float, Float)?
            if let w = q.weights as? FATNNWeightQuantizer {
                let pairs = stride(from: 0, to: w.alpha.value.count, by: 2).map { (-0.5 / abs(w.alpha.value[$0]), 0.5 / abs(w.alpha.value[$0 + 1])) }
                weightThresholds = (pairs.map(\.0).sorted()[pairs.count / 2], pairs.map(\.1).sorted()[pairs.count / 2])
            }
            let values = q.weights.quantize(q.weight.value, training: false)
            // Binary scales differ per output channel: count signs there.
            let unit = q.weights is BinaryWeightQuantizer ? nil : values.map(abs).filter { $0 > 0 }.min()
            var counts: [Int: Int] = [:]
            for v in values { counts[unit.map { Int((v / $0).rounded()) } ?? (v > 0 ? 1 : v < 0 ? -1 : 0), default: 0] += 1 }
            let codes = counts.keys.sorted().map { (code: $0, fraction: Double(counts[$0]!) / Double(values.count)) }
            return Layer(name: q.name, activationThresholds: thresholds, weightThresholds: weightThresholds, weightCodes: codes)
        }
    }
}

extension Sequential {
    /// Makes every quantized convolution bypass (true) or use (false) its quantizers.
    public func setQuantizersBypassed(_ bypassed: Bool) {
        for q in quantizedConvolutions { q.bypassed = bypassed }
    }

    /// Every quantized convolution, in forward order (inside residual blocks too).
    public var quantizedConvolutions: [QuantizedConv2d] {
        func collect(_ layers: [any Layer]) -> [QuantizedConv2d] {
            layers.flatMap { l -> [QuantizedConv2d] in
                if let q = l as? QuantizedConv2d { return [q] }
                if let b = l as? BasicBlock { return collect(b.main.layers) + collect(b.shortcut?.layers ?? []) }
                return []
            }
        }
        return collect(layers)
    }
}
