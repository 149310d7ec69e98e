/// Stochastic gradient descent with (Nesterov) momentum and decoupled-by-group weight decay,
/// with PyTorch's update rule: `v = μ·v + (g + λ·w)`, `w -= lr·v` (Nesterov: `w -= lr·(g' + μ·v)`).
public final class SGD: Optimizer {
    /// Momentum μ.
    public var momentum: Float
    /// Nesterov momentum.
    public var nesterov: Bool
    /// Weight decay λ, applied only to parameters whose `decays` is true.
    public var weightDecay: Float

    /// An optimizer with these settings.
    public init(momentum: Float, nesterov: Bool, weightDecay: Float) {
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// Applies one step to every parameter with the current gradients, then zeroes them.
    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        for p in parameters {
            let wd = p.decays ? weightDecay : 0
            p.value.withUnsafeMutableBufferPointer { w in
                p.grad.withUnsafeMutableBufferPointer { g in
                    p.velocity.withUnsafeMutableBufferPointer { v in
                        for i in 0..<w.count {
                            let gi = g[i] + wd * w[i]
                            v[i] = momentum * v[i] + gi
                            w[i] -= lr * (nesterov ? gi + momentum * v[i] : v[i])
                            g[i] = 0
                        }
                    }
                }
            }
        }
    }
}
