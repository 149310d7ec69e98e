/// Batch normalization per channel over a batch of `N` rows of `C x P` values (P = pixels per
/// channel; P = 1 for a fully connected layer's `N x C` output, P = H·W for NCHW feature maps).
///
/// Training normalizes with the batch mean and biased variance (over N·P values per channel) and
/// updates running averages (momentum 0.1, unbiased variance, as PyTorch); evaluation uses the
/// running statistics. Channels are split over the engine's threads (each channel's sums stay in
/// one thread, in a fixed order).
public final class BatchNorm: Layer {
    /// Number of channels.
    public let features: Int
    /// Values per channel in each row.
    public let spatial: Int
    /// Numerical guard added to the variance.
    public let epsilon: Float
    /// Running-average momentum.
    public let momentum: Float
    /// Scale γ.
    public let gamma: Parameter
    /// Shift β.
    public let beta: Parameter
    /// Running mean, used in evaluation.
    public let runningMean: Buffer
    /// Running variance, used in evaluation.
    public let runningVar: Buffer

    /// The last training forward's input, batch mean and `1/√(var + ε)`: backward recomputes
    /// the normalized values from them instead of keeping a second batch-sized buffer.
    private var cachedInput = Matrix(rows: 0, cols: 0)
    private var batchMean: [Float] = []
    private var invStd: [Float] = []
    /// The output of the last training forward when it applied a ReLU (``forward(_:training:relu:)``);
    /// backward then passes gradients only where it is positive.
    private var reluOutput: Matrix?

    /// A layer with γ = 1, β = 0, running mean 0 and running variance 1.
    public init(name: String, features: Int, spatial: Int = 1, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        self.features = features
        self.spatial = spatial
        self.epsilon = epsilon
        self.momentum = momentum
        gamma = Parameter(name: "\(name).weight", value: .init(repeating: 1, count: features), decays: false)
        beta = Parameter(name: "\(name).bias", value: .init(repeating: 0, count: features), decays: false)
        runningMean = Buffer(name: "\(name).running_mean", value: .init(repeating: 0, count: features))
        runningVar = Buffer(name: "\(name).running_var", value: .init(repeating: 1, count: features))
    }

    public var parameters: [Parameter] { [gamma, beta] }

    /// Whether the last training forward applied a ReLU itself (its backward then covers it).
    var fusedReLU: Bool { reluOutput != nil }
    public var buffers: [Buffer] { [runningMean, runningVar] }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        forward(input, training: training, relu: false)
    }

    /// Forward, followed by a ReLU when `relu` (one pass instead of two; in training, backward
    /// then includes the ReLU's gradient, and the caller skips the ReLU layer's backward).
    func forward(_ input: Matrix, training: Bool, relu: Bool) -> Matrix {
        let c = features, p = spatial, n = input.rows
        precondition(input.cols == c * p, "BatchNorm expects \(c)x\(p) values per row, got \(input.cols)")
        var mean = runningMean.value, variance = runningVar.value
        if training {
            let (m, biased, unbiased) = batchStatistics(input)
            mean = m
            variance = biased
            for j in 0..<c {
                runningMean.value[j] = (1 - momentum) * runningMean.value[j] + momentum * mean[j]
                runningVar.value[j] = (1 - momentum) * runningVar.value[j] + momentum * unbiased[j]
            }
        }
        let inv = inverseStd(variance)
        // The same C pass as a convolution's evaluation epilogue (`Conv2d+Epilogue.swift`).
        let transform = Conv2d.Epilogue(mean: mean, invStd: inv, gamma: gamma.value, beta: beta.value, relu: relu)
        let out = input.data.withUnsafeBufferPointer { xb in
            Matrix(rows: n, cols: c * p) { yb in
                let (x, y) = (xb.baseAddress!, yb.baseAddress!)
                Parallel.chunks(c) { _, channels in
                    for r in 0..<n {
                        let o = (r * c + channels.lowerBound) * p
                        transform.apply(x + o, plane: p, row: p, into: y + o, plane: p, row: p, channels: channels,
                                        rows: 1, width: p)
                    }
                }
            }
        }
        if training {
            cachedInput = input
            batchMean = mean
            invStd = inv
            reluOutput = relu ? out : nil
        }
        return out
    }

    /// `1/√(variance + ε)` per channel: the one formula for training, evaluation and the fused
    /// convolution epilogue (their outputs must agree bit for bit).
    func inverseStd(_ variance: [Float]) -> [Float] { variance.map { 1 / ($0 + epsilon).squareRoot() } }

    /// Per-channel batch mean and biased and unbiased variance, in one pass over the input: each
    /// row's run of `P` values (in cache) gets its own mean and squared deviations, combined
    /// across rows with Chan's formula (as stable as two passes, half the memory traffic).
    private func batchStatistics(_ input: Matrix) -> (mean: [Float], biased: [Float], unbiased: [Float]) {
        let c = features, p = spatial, n = input.rows, count = n * p
        precondition(count > 1, "BatchNorm in training needs more than one value per channel")
        var mean = [Float](repeating: 0, count: c), m2 = [Float](repeating: 0, count: c)
        input.data.withUnsafeBufferPointer { x in
            mean.withUnsafeMutableBufferPointer { mb in
                m2.withUnsafeMutableBufferPointer { vb in
                    Parallel.chunks(c) { _, channels in
                        let base = x.baseAddress!
                        if p == 1 {
                            for j in channels {
                                var s: Float = 0
                                for r in 0..<n { s += x[r * c + j] }
                                let m = s / Float(count)
                                var v: Float = 0
                                for r in 0..<n { let d = x[r * c + j] - m; v += d * d }
                                mb[j] = m
                                vb[j] = v
                            }
                            return
                        }
                        // Image by image, each channel's runs still combined in image order: the
                        // chunk's channels of an image are one contiguous block, which the
                        // hardware prefetches (channel by channel, the runs were `C·P` floats apart).
                        // `seen`, the values combined so far, is exact in Float below 2^24 per channel.
                        for r in 0..<n {
                            let seen = Float(r * p), total = seen + Float(p)
                            for j in channels {
                                let run = base + (r * c + j) * p
                                let rm = VectorMath.sum(run, p) / Float(p)
                                let rv = VectorMath.sumSquaredDeviations(run, p, mean: rm)
                                let delta = rm - mb[j]
                                mb[j] += delta * (Float(p) / total)
                                vb[j] += rv + delta * delta * (seen * Float(p) / total)
                            }
                        }
                    }
                }
            }
        }
        return (mean, m2.map { $0 / Float(count) }, m2.map { $0 / Float(count - 1) })
    }

    public func backward(_ gradOutput: Matrix) -> Matrix { inputGradient(gradOutput).materialize() }

    /// Backward's first pass: the per-channel sums of the output gradient (masked by a fused
    /// ReLU) and of its product with the normalized input, added to γ's and β's gradients; the
    /// returned ``InputGradient`` computes the input gradient from them, densely or straight
    /// into a convolution's wide rows (`BatchNorm+InputGradient.swift`).
    func inputGradient(_ gradOutput: Matrix) -> InputGradient {
        let c = features, p = spatial, n = gradOutput.rows
        precondition(n == cachedInput.rows && gradOutput.cols == c * p, "BatchNorm backward: gradient shape does not match the last training forward")
        var sumG = [Float](repeating: 0, count: c)
        var sumGX = [Float](repeating: 0, count: c)
        let mean = batchMean, inv = invStd
        // With a fused ReLU, the gradient passes only where the output was positive.
        let relu = reluOutput ?? Matrix(rows: 0, cols: 0)
        let masked = reluOutput != nil
        gradOutput.data.withUnsafeBufferPointer { dy in
            relu.data.withUnsafeBufferPointer { yb in
                cachedInput.data.withUnsafeBufferPointer { x in
                    sumG.withUnsafeMutableBufferPointer { sg in
                        sumGX.withUnsafeMutableBufferPointer { sgx in
                            Parallel.chunks(c) { _, channels in
                                if p == 1 {
                                    for j in channels {
                                        let m = mean[j], s = inv[j]
                                        var a: Float = 0, b: Float = 0
                                        for r in 0..<n {
                                            let o = r * c + j, d = !masked || yb[o] > 0 ? dy[o] : 0
                                            a += d
                                            b += d * ((x[o] - m) * s)
                                        }
                                        sg[j] = a
                                        sgx[j] = b
                                    }
                                    return
                                }
                                // Image by image, as the forward's statistics (each channel's
                                // runs in image order): contiguous blocks the hardware prefetches.
                                for r in 0..<n {
                                    for j in channels {
                                        let o = (r * c + j) * p
                                        let (sa, sb) = VectorMath.sumAndDot(dy.baseAddress! + o, x.baseAddress! + o, p, center: mean[j],
                                                                            scale: inv[j], mask: masked ? yb.baseAddress! + o : nil)
                                        sg[j] += sa
                                        sgx[j] += sb
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for j in 0..<c {
            gamma.grad[j] += sumGX[j]
            beta.grad[j] += sumG[j]
        }
        let count = Float(n * p), g = gamma.value
        return InputGradient(gradOutput: gradOutput, input: cachedInput, reluOutput: reluOutput, channels: c, spatial: p,
                             coefficients: (0..<c).map { g[$0] * inv[$0] / count } + sumG + sumGX + mean + inv, count: count)
    }
}
