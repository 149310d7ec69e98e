import CFloatKernels

extension Conv2d {
    /// The gradient arriving at a convolution's output in backward: a dense batch, or the input
    /// gradient of the BatchNorm that follows the convolution, not computed yet. The direct path
    /// with wide rows writes the latter straight into the wide-row buffers its kernels read
    /// (BatchNorm's second backward pass and the convolution's copy become one pass); every other
    /// path materializes it first. The values are the same bit for bit either way.
    enum OutputGradient {
        case dense(Matrix)
        case batchNorm(BatchNorm.InputGradient)

        /// Images, and values per image.
        var size: (rows: Int, cols: Int) {
            switch self {
            case .dense(let g): (g.rows, g.cols)
            case .batchNorm(let g): (g.images, g.channels * g.spatial)
            }
        }
    }

    /// Whether ``backward(_:)`` with a ``OutputGradient/batchNorm(_:)`` gradient fuses its
    /// computation (else it materializes it first).
    var fusesBatchNormGradient: Bool { path != .openblas && wide != nil }

    /// The output gradient's values for one chunk of images, written where the kernels want them.
    struct OutputGradientRows {
        /// The dense gradient, or nil for a BatchNorm gradient.
        let dense: UnsafePointer<Float>?
        let batchNorm: BatchNorm.InputGradient.Rows?
        let shape: ImageShape

        /// Writes image `image`'s gradient at `dst`, channel `c` row `r` at
        /// `dst + c·channelStride + r·rowStride` (``WideRows/widen(_:into:channels:channelStride:)``
        /// for a dense gradient).
        func write(image: Int, into dst: UnsafeMutablePointer<Float>, channelStride: Int, rowStride: Int) {
            if let dense {
                fk_copy_rows(dense + image * shape.count, shape.plane, shape.width, dst, channelStride, rowStride,
                             shape.channels, shape.height, shape.width)
            } else if let batchNorm {
                batchNorm.write(image: image, rows: shape.height, width: shape.width, into: dst, channelStride: channelStride,
                                rowStride: rowStride)
            }
        }
    }

    /// Calls `body` with the gradient's rows and, for a dense gradient, its base pointer.
    func withRows<R>(_ gradient: OutputGradient, _ body: (OutputGradientRows) -> R) -> R {
        switch gradient {
        case .dense(let g):
            return g.data.withUnsafeBufferPointer { body(OutputGradientRows(dense: $0.baseAddress!, batchNorm: nil, shape: output)) }
        case .batchNorm(let g):
            return g.withRows { body(OutputGradientRows(dense: nil, batchNorm: $0, shape: output)) }
        }
    }
}
