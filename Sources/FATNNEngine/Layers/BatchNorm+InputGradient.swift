import CFloatKernels

extension BatchNorm {
    /// BatchNorm's training input gradient once backward's sums are known (``inputGradient(_:)``):
    /// `dx = k·(N·g − Σg − x̂·Σ(g·x̂))` per channel, with `k = γ/(σ·N)`, `x̂ = (x − μ)/σ` and `g`
    /// the output gradient (zero where a fused ReLU's output was not positive), `N` the values
    /// per channel.
    ///
    /// Either materialized (``materialize()``) or written image by image straight into the layout
    /// the next consumer wants (``Rows/write(image:rows:width:into:channelStride:rowStride:)``): a
    /// direct-path convolution's backward writes it into its wide rows, one pass instead of
    /// BatchNorm's dense write followed by the convolution's copy. Both compute every value with
    /// the same C function (`fk_batchnorm_input_grad`), so they agree bit for bit.
    struct InputGradient {
        let gradOutput: Matrix, input: Matrix, reluOutput: Matrix?
        let channels: Int, spatial: Int
        /// Five blocks of `channels` values: per channel `k`, `Σg`, `Σ(g·x̂)`, `μ`, `1/σ`.
        let coefficients: [Float]
        /// Values per channel over the batch (`N`).
        let count: Float

        /// Images (rows of the batch).
        var images: Int { gradOutput.rows }

        /// Pointers to everything ``write`` reads, valid inside `body` only.
        struct Rows {
            let gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, reluOutput: UnsafePointer<Float>?
            let channels: Int, spatial: Int
            /// ``InputGradient/coefficients``.
            let coefficients: UnsafePointer<Float>
            let count: Float

            /// Writes image `image`'s input gradient, its `channels` planes of `rows` x `width` values
            /// (`rows·width` = the layer's spatial size), at `dst`: channel `c`, row `r` starts at
            /// `dst + c·channelStride + r·rowStride`.
            func write(image: Int, rows: Int, width: Int, into dst: UnsafeMutablePointer<Float>, channelStride: Int, rowStride: Int) {
                precondition(rows * width == spatial, "BatchNorm input gradient: \(rows)x\(width) is not \(spatial) values per channel")
                let o = image * channels * spatial, k = coefficients, c = channels
                fk_batchnorm_input_grad(gradOutput + o, input + o, reluOutput.map { $0 + o }, channels, rows, width,
                                        k, k + c, k + 2 * c, k + 3 * c, k + 4 * c, count, dst, channelStride, rowStride)
            }
        }

        /// Calls `body` with the pointers ``Rows`` needs.
        func withRows<R>(_ body: (Rows) -> R) -> R {
            let relu = reluOutput ?? Matrix(rows: 0, cols: 0)
            return gradOutput.data.withUnsafeBufferPointer { g in
                input.data.withUnsafeBufferPointer { x in
                    relu.data.withUnsafeBufferPointer { y in
                        coefficients.withUnsafeBufferPointer { k in
                            body(Rows(gradOutput: g.baseAddress!, input: x.baseAddress!, reluOutput: reluOutput == nil ? nil : y.baseAddress!,
                                      channels: channels, spatial: spatial, coefficients: k.baseAddress!, count: count))
                        }
                    }
                }
            }
        }

        /// The input gradient as a dense batch (`N x C·P`), images split over the engine's threads.
        func materialize() -> Matrix {
            let n = images, size = channels * spatial
            return withRows { rows in
                Matrix(rows: n, cols: size) { dx in
                    let base = dx.baseAddress!
                    Parallel.chunks(n) { _, chunk in
                        for image in chunk {
                            rows.write(image: image, rows: 1, width: spatial, into: base + image * size, channelStride: spatial,
                                       rowStride: spatial)
                        }
                    }
                }
            }
        }
    }
}
