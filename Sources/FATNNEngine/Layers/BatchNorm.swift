/// Batch normalization over the feature axis of an `N x C` batch.
///
/// Training normalizes with the batch mean and biased variance and updates running averages
/// (momentum 0.1, unbiased variance, as PyTorch); evaluation uses the running statistics.
public final class BatchNorm: Layer {
    /// Number of features.
    public let features: Int
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
    public init(name: String, features: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        self.features = features
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
        precondition(input.cols == features, "BatchNorm expects \(features) features, got \(input.cols)")
        let n = input.rows, c = features
        var mean = [Float](repeating: 0, count: c)
        var variance = [Float](repeating: 0, count: c)
        if training {
            precondition(n > 1, "BatchNorm in training needs a batch of at least 2")
            input.data.withUnsafeBufferPointer { x in
                for r in 0..<n { for j in 0..<c { mean[j] += x[r * c + j] } }
                for j in 0..<c { mean[j] /= Float(n) }
                for r in 0..<n {
                    for j in 0..<c { let d = x[r * c + j] - mean[j]; variance[j] += d * d }
                }
            }
            for j in 0..<c {
                let biased = variance[j] / Float(n)
                let unbiased = variance[j] / Float(n - 1)
                runningMean.value[j] = (1 - momentum) * runningMean.value[j] + momentum * mean[j]
                runningVar.value[j] = (1 - momentum) * runningVar.value[j] + momentum * unbiased
                variance[j] = biased
            }
        } else {
            mean = runningMean.value
            variance = runningVar.value
        }
        let inv = variance.map { 1 / ($0 + epsilon).squareRoot() }
        var normalized = Matrix(rows: n, cols: c)
        var out = Matrix(rows: n, cols: c)
        input.data.withUnsafeBufferPointer { x in
            normalized.data.withUnsafeMutableBufferPointer { h in
                out.data.withUnsafeMutableBufferPointer { y in
                    for r in 0..<n {
                        for j in 0..<c {
                            let v = (x[r * c + j] - mean[j]) * inv[j]
                            h[r * c + j] = v
                            y[r * c + j] = v * gamma.value[j] + beta.value[j]
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
        let n = gradOutput.rows, c = features
        var sumG = [Float](repeating: 0, count: c)
        var sumGX = [Float](repeating: 0, count: c)
        for r in 0..<n {
            for j in 0..<c {
                let g = gradOutput.data[r * c + j]
                sumG[j] += g
                sumGX[j] += g * xhat.data[r * c + j]
            }
        }
        for j in 0..<c {
            gamma.grad[j] += sumGX[j]
            beta.grad[j] += sumG[j]
        }
        var gradInput = Matrix(rows: n, cols: c)
        let fn = Float(n)
        for r in 0..<n {
            for j in 0..<c {
                let g = gradOutput.data[r * c + j]
                let k = gamma.value[j] * invStd[j] / fn
                gradInput.data[r * c + j] = k * (fn * g - sumG[j] - xhat.data[r * c + j] * sumGX[j])
            }
        }
        return gradInput
    }
}
