/// Updates parameters from their gradients, then zeroes the gradients.
public protocol Optimizer: AnyObject {
    /// One update of every parameter with learning rate `learningRate`.
    func step(_ parameters: [Parameter], learningRate: Float)
}

/// Adam: `m = β1·m + (1-β1)·g`, `v = β2·v + (1-β2)·g²`, `w -= lr·m̂/(√v̂ + ε)` with bias-corrected
/// `m̂ = m/(1-β1ᵗ)`, `v̂ = v/(1-β2ᵗ)`; `g` includes `λ·w` for parameters that decay.
public final class Adam: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    private var t = 0
    private var secondMoments: [ObjectIdentifier: [Float]] = [:]

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Steps taken (the bias-correction exponent).
    public var steps: Int { t }

    /// Second moments by parameter name, for checkpoints (the first moments live in
    /// `Parameter.velocity`).
    public func secondMoments(of parameters: [Parameter]) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: parameters.compactMap { p in secondMoments[ObjectIdentifier(p)].map { (p.name, $0) } })
    }

    /// Restores the step count and second moments saved by ``secondMoments(of:)``.
    public func restore(steps: Int, secondMoments byName: [String: [Float]], parameters: [Parameter]) {
        t = steps
        secondMoments = [:]
        for p in parameters { if let v = byName[p.name] { secondMoments[ObjectIdentifier(p)] = v } }
    }

    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        t += 1
        let c1 = 1 - powf(beta1, Float(t)), c2 = 1 - powf(beta2, Float(t))
        for p in parameters {
            let wd = p.decays ? weightDecay : 0
            var v = secondMoments[ObjectIdentifier(p)] ?? [Float](repeating: 0, count: p.value.count)
            p.value.withUnsafeMutableBufferPointer { w in
                p.grad.withUnsafeMutableBufferPointer { g in
                    p.velocity.withUnsafeMutableBufferPointer { m in  // first moment
                        for i in 0..<w.count {
                            let gi = g[i] + wd * w[i]
                            m[i] = beta1 * m[i] + (1 - beta1) * gi
                            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                            w[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
                            g[i] = 0
                        }
                    }
                }
            }
            secondMoments[ObjectIdentifier(p)] = v
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
