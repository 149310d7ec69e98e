import Foundation

extension QuantizedConv2d {
    /// The default of ``forwardOnPackedKernels``: on, unless `FATNN_QAT_FORWARD=float`.
    public static let packedForwardByDefault: Bool = ProcessInfo.processInfo.environment["FATNN_QAT_FORWARD"] != "float"

    /// The forward output from the packed kernels, or nil where they do not apply: turned off, a
    /// pair of quantizers without a packed kernel, an activation quantizer without a vectorized
    /// quantize-and-pack (through its code bytes the packing costs more than the float products;
    /// every built-in kind has one), a weight code outside the kernel's set, a non-finite scale.
    /// The caller then runs the float convolution. `x` is the layer's input: its runs come from
    /// ``PackedRuns/encode(_:with:shape:kind:padding:path:)``, the same codes as the activation
    /// quantizer's.
    func packedForward(_ x: Matrix, codes: [Float], scales: [Float]?) -> Matrix? {
        guard forwardOnPackedKernels, x.rows > 0, let kind = try? PackedNetwork.kernelKind(self, ternary: .fatnn) else { return nil }
        let ternary = (activations as? FATNNActivationQuantizer)?.steps == 2 && kind == .fatnn
        guard ternary || CodeQuantizer(activations, kind: kind) != nil else { return nil }
        guard let packed = try? PackedNetwork.packedConv(self, weightCodes: codes, scales: scales, kind: kind) else { return nil }
        let runs = PackedRuns.encode(x, with: activations, shape: input, kind: kind, padding: conv.padding)
        let raw = PackedKernel.multiplyRaw(packed.weights, packed.packWindows(runs))
        return packed.floats(raw: raw, images: x.rows)
    }
}
