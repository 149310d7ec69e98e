@testable import FATNNEngine
import Testing

/// Finite-difference checks of every layer's backward pass: L = Σ out·R for a fixed random R.
@Suite struct GradientTests {
    private func randomMatrix(_ rows: Int, _ cols: Int, _ rng: inout RandomSource) -> Matrix {
        Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in rng.nextGaussian() })
    }

    private func loss(_ out: Matrix, _ r: Matrix) -> Double {
        zip(out.data, r.data).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Checks dL/dinput and dL/dparameters of `layer` against central differences.
    ///
    /// - Parameter outliers: fraction of entries allowed to miss the tolerance. Composite layers
    ///   with a ReLU after a BatchNorm need a few: perturbing one weight moves every normalized
    ///   value, and the few that cross the ReLU's kink spoil that entry's finite difference (with
    ///   eps = 1e-4 they all agree, but Float noise then spoils others). A wrong backward pass
    ///   misses on most entries, not a few.
    func check(_ layer: any Layer, input: Matrix, seed: UInt64, eps: Float = 1e-2, outliers: Double = 0) {
        var rng = RandomSource(seed: seed)
        let r = randomMatrix(input.rows, layer.forward(input, training: true).cols, &rng)
        for p in layer.parameters { p.zeroGrad() }
        _ = layer.forward(input, training: true)
        let gradInput = layer.backward(r)
        var misses: [String] = []
        var total = 0
        func compare(_ fd: Double, _ analytic: Float, _ what: @autoclosure () -> String) {
            total += 1
            if !(abs(fd - Double(analytic)) <= 2e-2 * max(1, abs(fd))) { misses.append("\(what()): fd \(fd) vs \(analytic)") }
        }
        func numeric(_ perturb: (Float) -> Void) -> Double {
            perturb(eps)
            let plus = loss(layer.forward(input, training: true), r)
            perturb(-2 * eps)
            let minus = loss(layer.forward(input, training: true), r)
            perturb(eps)
            return (plus - minus) / Double(2 * eps)
        }
        var x = input
        for i in x.data.indices {
            x.data[i] += eps
            let plus = loss(layer.forward(x, training: true), r)
            x.data[i] -= 2 * eps
            let minus = loss(layer.forward(x, training: true), r)
            x.data[i] += eps
            compare((plus - minus) / Double(2 * eps), gradInput.data[i], "input[\(i)]")
        }
        for p in layer.parameters {
            for i in p.value.indices { compare(numeric { d in p.value[i] += d }, p.grad[i], "\(p.name)[\(i)]") }
        }
        #expect(Double(misses.count) <= outliers * Double(total),
                "\(misses.count) of \(total) entries off: \(misses.prefix(5).joined(separator: "; "))")
    }

    @Test func linearWithBias() {
        var rng = RandomSource(seed: 1)
        let layer = Linear(name: "fc", inFeatures: 5, outFeatures: 4, bias: true, rng: &rng)
        check(layer, input: randomMatrix(3, 5, &rng), seed: 2)
    }

    @Test func linearWithoutBias() {
        var rng = RandomSource(seed: 3)
        let layer = Linear(name: "fc", inFeatures: 3, outFeatures: 6, bias: false, rng: &rng)
        check(layer, input: randomMatrix(4, 3, &rng), seed: 4)
    }

    @Test func batchNorm() {
        var rng = RandomSource(seed: 5)
        let layer = BatchNorm(name: "bn", features: 3)
        for i in 0..<3 { layer.gamma.value[i] = 0.5 + Float(i); layer.beta.value[i] = Float(i) - 1 }
        check(layer, input: randomMatrix(6, 3, &rng), seed: 6)
    }

    @Test func relu() {
        var rng = RandomSource(seed: 7)
        var x = randomMatrix(4, 5, &rng)
        for i in x.data.indices where abs(x.data[i]) < 0.05 { x.data[i] = 0.5 }  // keep away from the kink
        check(ReLU(), input: x, seed: 8)
    }

    @Test func softmaxCrossEntropy() {
        var rng = RandomSource(seed: 9)
        var logits = randomMatrix(4, 5, &rng)
        let labels = [0, 3, 4, 1]
        let (_, grad, _) = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
        let eps: Float = 1e-2
        for i in logits.data.indices {
            logits.data[i] += eps
            let plus = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels).loss
            logits.data[i] -= 2 * eps
            let minus = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels).loss
            logits.data[i] += eps
            let fd = Double(plus - minus) / Double(2 * eps)
            #expect(abs(fd - Double(grad.data[i])) < 2e-3, "logit \(i)")
        }
    }

    @Test func batchNormEvalUsesRunningStatistics() {
        let bn = BatchNorm(name: "bn", features: 2)
        bn.runningMean.value = [1, -1]
        bn.runningVar.value = [4, 1]
        let y = bn.forward(Matrix(rows: 1, cols: 2, data: [3, 0]), training: false)
        #expect(abs(y.data[0] - 1) < 1e-4 && abs(y.data[1] - 1) < 1e-4)
    }
}
