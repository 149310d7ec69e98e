import Foundation

extension QuantizedConv2d {
    /// The default of ``forwardOnPackedKernels``: on, unless `FATNN_QAT_FORWARD=float`.
    public static let packedForwardByDefault: Bool = ProcessInfo.processInfo.environment["FATNN_QAT_FORWARD"] != "float"

    /// The forward output from the packed kernels, or nil where they do not apply: turned off,
    /// quantizers other than FATNN's ternary pair (the others would quantize twice: through
    /// their codes the packing costs more than the float products), a weight code outside
    /// `{-1, 0, 1}`, a non-finite scale. The caller then runs the float convolution. `x` is the
    /// layer's input: its runs come from FATNN's vectorized quantize-and-pack
    /// (``PackedRuns/encode(_:with:shape:kind:padding:path:)``), the same codes as `codes`'
    /// activations.
    func packedForward(_ x: Matrix, codes: [Float], scales: [Float]?) -> Matrix? {
        guard forwardOnPackedKernels, x.rows > 0, let a = activations as? FATNNActivationQuantizer, a.steps == 2,
              weights is FATNNWeightQuantizer else { return nil }
        var weightCodes = [Int8](repeating: 0, count: codes.count)
        for (i, v) in codes.enumerated() {
            guard v == -1 || v == 0 || v == 1 else { return nil }
            weightCodes[i] = Int8(v)
        }
        if let scales, scales.contains(where: { !$0.isFinite }) { return nil }
        let packed = PackedConv(input: input, outChannels: output.channels, kernel: conv.kernel, stride: conv.stride,
                                padding: conv.padding, weightCodes: weightCodes, kind: .fatnn, scales: scales)
        let runs = PackedRuns.encode(x, with: a, shape: input, kind: .fatnn, padding: conv.padding)
        let raw = PackedKernel.multiplyRaw(packed.weights, packed.packWindows(runs))
        return packed.floats(raw: raw, images: x.rows)
    }
}
