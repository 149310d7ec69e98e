import CFloatKernels

/// Inference fusion: a convolution that applies the next BatchNorm (running statistics) and an
/// optional ReLU to its output as it writes it, instead of two more passes over the batch.
extension Conv2d {
    /// A per-output-channel transform, `max(0, (y - mean)·invStd·γ + β)` (the `max` only with
    /// ``relu``), in exactly BatchNorm's and ReLU's operation order, so the fused output is
    /// bit-identical to the three layers run one after another.
    struct Epilogue {
        /// Four blocks of one value per channel: mean, invStd, γ, β (one buffer for the C pass).
        private let parameters: [Float]
        private let channels: Int
        let relu: Bool

        init(mean: [Float], invStd: [Float], gamma: [Float], beta: [Float], relu: Bool) {
            precondition(invStd.count == mean.count && gamma.count == mean.count && beta.count == mean.count)
            parameters = mean + invStd + gamma + beta
            channels = mean.count
            self.relu = relu
        }

        /// Applies the transform of channels `channels` (`0..<count` by default) to their planes of
        /// `rows` rows of `width` values: row `r` of the `i`-th channel from `src + i·srcPlane +
        /// r·srcRow` to `dst + i·dstPlane + r·dstRow` (`src` may equal `dst` with the same
        /// strides). One vectorized C pass (`fk_batchnorm_rows`, no fused multiply-adds): the
        /// operations of BatchNorm's own forward, which runs on it too.
        func apply(_ src: UnsafePointer<Float>, plane srcPlane: Int, row srcRow: Int, into dst: UnsafeMutablePointer<Float>,
                   plane dstPlane: Int, row dstRow: Int, channels: Range<Int>, rows: Int, width: Int) {
            let n = self.channels
            parameters.withUnsafeBufferPointer { pb in
                let p = pb.baseAddress! + channels.lowerBound
                fk_batchnorm_rows(src, srcPlane, srcRow, dst, dstPlane, dstRow, channels.count, rows, width, p, p + n, p + 2 * n,
                                  p + 3 * n, relu ? 1 : 0)
            }
        }

        /// Moves `channels` planes of `rows` rows of `width` values from `src` to `dst` (strides as
        /// in ``apply(_:plane:row:into:plane:row:channels:rows:width:)``) through `epilogue`, or
        /// as a plain copy without one.
        static func write(_ epilogue: Self?, _ src: UnsafePointer<Float>, plane srcPlane: Int, row srcRow: Int,
                          into dst: UnsafeMutablePointer<Float>, plane dstPlane: Int, row dstRow: Int, channels: Int, rows: Int,
                          width: Int) {
            guard let epilogue else {
                return fk_copy_rows(src, srcPlane, srcRow, dst, dstPlane, dstRow, channels, rows, width)
            }
            epilogue.apply(src, plane: srcPlane, row: srcRow, into: dst, plane: dstPlane, row: dstRow, channels: 0..<channels,
                           rows: rows, width: width)
        }

        /// Applies the transform in place to `channels` planes of `plane` values.
        func apply(inPlace y: UnsafeMutablePointer<Float>, channels: Int, plane: Int) {
            apply(y, plane: plane, row: plane, into: y, plane: plane, row: plane, channels: 0..<channels, rows: 1, width: plane)
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
