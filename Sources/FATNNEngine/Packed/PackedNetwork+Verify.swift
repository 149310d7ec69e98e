/// The bit-exactness check of a packed network against the network it was packed from.
extension PackedNetwork {
    /// What ``verify(_:against:images:)`` found.
    public struct Verification: Sendable, Equatable {
        /// Images compared.
        public var images = 0
        /// Quantized-conv inputs compared (one per conv per batch).
        public var codeArrays = 0
        /// Quantized-conv inputs whose codes differ anywhere.
        public var codeMismatches = 0
        /// Images whose predicted class differs.
        public var predictionMismatches = 0
        /// Images whose logits differ in any bit.
        public var logitMismatches = 0
        /// Images the packed network classifies as `labels` says (0 without labels).
        public var packedCorrect = 0

        /// Codes, predictions and logits all equal.
        public var exact: Bool { codeMismatches == 0 && predictionMismatches == 0 && logitMismatches == 0 && codeArrays > 0 }
    }

    /// Runs `network` (eval mode) and this packed network on `images` in batches of `batch`, and
    /// compares the activation codes at every quantized conv, the logits (also of the run without
    /// recorded codes, which may split the batch by images) and the predictions;
    /// with `labels`, also counts the packed network's correct predictions (its test accuracy,
    /// from the same pass).
    public func verify(_ network: Sequential, against images: Matrix, labels: [Int]? = nil, batch: Int = 64) -> Verification {
        let convs = PackedNetwork.quantizedConvs(network.layers)
        var result = Verification()
        var start = 0
        while start < images.rows {
            let n = min(batch, images.rows - start)
            let x = Matrix(rows: n, cols: images.cols, data: Array(images.data[start * images.cols..<(start + n) * images.cols]))
            var reference: [[UInt8]] = []
            for c in convs { c.codeObserver = { reference.append($0) } }
            let expected = network.forward(x, training: false)
            for c in convs { c.codeObserver = nil }
            var packed: [[UInt8]] = []
            let logits = forward(x) { packed.append($0) }
            // Without codes, a batch may run split by images over threads: the same logits. (When
            // it would not split, that run is the one above, so it is not repeated.)
            let unrecorded = splitsBatch(ofRows: n) ? forward(x) : logits
            result.images += n
            result.codeArrays += reference.count
            result.codeMismatches += zip(reference, packed).filter { $0 != $1 }.count + abs(reference.count - packed.count)
            for r in 0..<n {
                let a = Array(expected.data[r * expected.cols..<(r + 1) * expected.cols])
                let b = Array(logits.data[r * logits.cols..<(r + 1) * logits.cols])
                let c = Array(unrecorded.data[r * logits.cols..<(r + 1) * logits.cols])
                if a.map(\.bitPattern) != b.map(\.bitPattern) || c.map(\.bitPattern) != b.map(\.bitPattern) { result.logitMismatches += 1 }
                if argmax(a) != argmax(b) { result.predictionMismatches += 1 }
                if let labels, argmax(b) == labels[start + r] { result.packedCorrect += 1 }
            }
            start += n
        }
        return result
    }

    /// Every quantized conv of `layers`, in execution order (a block's main path, then its shortcut).
    static func quantizedConvs(_ layers: [any Layer]) -> [QuantizedConv2d] {
        layers.flatMap { layer -> [QuantizedConv2d] in
            if let q = layer as? QuantizedConv2d { return [q] }
            if let b = layer as? BasicBlock { return quantizedConvs(b.main.layers) + quantizedConvs(b.shortcut?.layers ?? []) }
            return []
        }
    }

    private func argmax(_ v: [Float]) -> Int {
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        return best
    }
}
