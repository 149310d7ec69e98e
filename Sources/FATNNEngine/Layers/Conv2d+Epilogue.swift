/// Inference fusion: a convolution that applies the next BatchNorm (running statistics) and an
/// optional ReLU to its output as it writes it, instead of two more passes over the batch.
extension Conv2d {
    /// A per-output-channel transform, `max(0, (y - mean)·invStd·γ + β)` (the `max` only with
    /// ``relu``), in exactly BatchNorm's and ReLU's operation order, so the fused output is
    /// bit-identical to the three layers run one after another.
    struct Epilogue {
        let mean: [Float], invStd: [Float], gamma: [Float], beta: [Float]
        let relu: Bool

        /// `dst[i] = f(src[i])` for `count` values of channel `c` (`src` may equal `dst`).
        @inline(__always)
        func apply(channel c: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
            let m = mean[c], s = invStd[c], g = gamma[c], b = beta[c]
            if relu {
                for i in 0..<count { let v = (src[i] - m) * s * g + b; dst[i] = v > 0 ? v : 0 }
            } else {
                for i in 0..<count { dst[i] = (src[i] - m) * s * g + b }
            }
        }

        /// Applies the transform in place to `channels` planes of `plane` values.
        func apply(inPlace y: UnsafeMutablePointer<Float>, channels: Int, plane: Int) {
            for c in 0..<channels { apply(channel: c, y + c * plane, y + c * plane, plane) }
        }
    }
}

extension BatchNorm {
    /// This layer in evaluation mode as a convolution epilogue, followed by ReLU if `relu`.
    func inferenceEpilogue(relu: Bool) -> Conv2d.Epilogue {
        Conv2d.Epilogue(mean: runningMean.value, invStd: inverseStd(runningVar.value),
                        gamma: gamma.value, beta: beta.value, relu: relu)
    }
}

extension Sequential {
    /// Evaluation-mode forward that runs each `Conv2d → BatchNorm [→ ReLU]` run as one fused
    /// convolution (``Conv2d/Epilogue``) and each other `BatchNorm → ReLU` as one pass; other
    /// layers run as they are. Same output, bit for bit,
    /// as running the layers one by one.
    func inferenceForward(_ input: Matrix) -> Matrix {
        forward(input, training: false) { i, h in
            let next = i + 1 < layers.count ? layers[i + 1] : nil
            if let conv = layers[i] as? Conv2d, let bn = next as? BatchNorm,
               bn.features == conv.output.channels, bn.spatial == conv.output.plane {
                let relu = i + 2 < layers.count && layers[i + 2] is ReLU
                return (conv.forward(h, epilogue: bn.inferenceEpilogue(relu: relu)), relu ? 3 : 2)
            }
            if let bn = layers[i] as? BatchNorm, next is ReLU { return (bn.forward(h, training: false, relu: true), 2) }
            return nil
        }
    }
}
