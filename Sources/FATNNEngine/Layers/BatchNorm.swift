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

    private var xhat = Matrix(rows: 0, cols: 0)
    private var invStd: [Float] = []

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
    public var buffers: [Buffer] { [runningMean, runningVar] }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        let c = features, p = spatial, n = input.rows
        precondition(input.cols == c * p, "BatchNorm expects \(c)x\(p) values per row, got \(input.cols)")
        let count = n * p
        var mean = runningMean.value
        var variance = runningVar.value
        if training {
            precondition(count > 1, "BatchNorm in training needs more than one value per channel")
            input.data.withUnsafeBufferPointer { x in
                mean.withUnsafeMutableBufferPointer { mb in
                    variance.withUnsafeMutableBufferPointer { vb in
                        Parallel.chunks(c) { _, channels in
                            for j in channels {
                                let base = x.baseAddress!
                                var s: Float = 0
                                if p == 1 {
                                    for r in 0..<n { s += x[r * c + j] }
                                } else {
                                    for r in 0..<n { s += VectorMath.sum(base + (r * c + j) * p, p) }
                                }
                                let m = s / Float(count)
                                var v: Float = 0
                                if p == 1 {
                                    for r in 0..<n { let d = x[r * c + j] - m; v += d * d }
                                } else {
                                    for r in 0..<n { v += VectorMath.sumSquaredDeviations(base + (r * c + j) * p, p, mean: m) }
                                }
                                mb[j] = m
                                vb[j] = v
                            }
                        }
                    }
                }
            }
            for j in 0..<c {
                let unbiased = variance[j] / Float(count - 1)
                variance[j] /= Float(count)
                runningMean.value[j] = (1 - momentum) * runningMean.value[j] + momentum * mean[j]
                runningVar.value[j] = (1 - momentum) * runningVar.value[j] + momentum * unbiased
            }
        }
        let inv = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let g = gamma.value, b = beta.value
        var normalized = Matrix(rows: 0, cols: 0)
        if training { normalized = Matrix(rows: n, cols: c * p, fill: { _ in }) }
        let out = input.data.withUnsafeBufferPointer { x in
            normalized.data.withUnsafeMutableBufferPointer { h in
                Matrix(rows: n, cols: c * p) { y in
                    Parallel.chunks(c) { _, channels in
                        for r in 0..<n {
                            for j in channels {
                                let o = (r * c + j) * p, m = mean[j], s = inv[j], gj = g[j], bj = b[j]
                                if training {
                                    for q in 0..<p {
                                        let v = (x[o + q] - m) * s
                                        h[o + q] = v
                                        y[o + q] = v * gj + bj
                                    }
                                } else {
                                    for q in 0..<p { y[o + q] = (x[o + q] - m) * s * gj + bj }
                                }
                            }
                        }
                    }
                }
            }
        }
        if training {
            xhat = normalized
            invStd = inv
        }
        return out
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        let c = features, p = spatial, n = gradOutput.rows
        precondition(n == xhat.rows && gradOutput.cols == c * p, "BatchNorm backward: gradient shape does not match the last training forward")
        var sumG = [Float](repeating: 0, count: c)
        var sumGX = [Float](repeating: 0, count: c)
        let count = Float(n * p)
        let g = gamma.value, inv = invStd
        let dx = gradOutput.data.withUnsafeBufferPointer { dy in
            xhat.data.withUnsafeBufferPointer { h in
                sumG.withUnsafeMutableBufferPointer { sg in
                    sumGX.withUnsafeMutableBufferPointer { sgx in
                        Matrix(rows: n, cols: c * p) { dx in
                            Parallel.chunks(c) { _, channels in
                                for j in channels {
                                    var a: Float = 0, b: Float = 0
                                    if p == 1 {
                                        for r in 0..<n { let o = r * c + j; a += dy[o]; b += dy[o] * h[o] }
                                    } else {
                                        for r in 0..<n {
                                            let o = (r * c + j) * p
                                            let (sa, sb) = VectorMath.sumAndDot(dy.baseAddress! + o, h.baseAddress! + o, p)
                                            a += sa
                                            b += sb
                                        }
                                    }
                                    sg[j] = a
                                    sgx[j] = b
                                    let k = g[j] * inv[j] / count
                                    for r in 0..<n {
                                        let o = (r * c + j) * p
                                        for q in 0..<p { dx[o + q] = k * (count * dy[o + q] - a - h[o + q] * b) }
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
        return dx
    }
}
