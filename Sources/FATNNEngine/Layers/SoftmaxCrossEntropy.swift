/// Softmax followed by the mean negative log-likelihood over a batch.
public enum SoftmaxCrossEntropy {
    /// The mean loss, the gradient with respect to the logits, and the number of correct argmax
    /// predictions.
    ///
    /// - Parameters:
    ///   - logits: `N x classes`.
    ///   - labels: `N` class indices in `0..<classes`.
    public static func evaluate(logits: Matrix, labels: [Int]) -> (loss: Float, grad: Matrix, correct: Int) {
        let n = logits.rows, k = logits.cols
        precondition(labels.count == n, "one label per row")
        var grad = Matrix(rows: n, cols: k)
        var loss: Double = 0
        var correct = 0
        for r in 0..<n {
            let row = r * k
            var maxV = -Float.infinity
            var arg = 0
            for j in 0..<k where logits.data[row + j] > maxV { maxV = logits.data[row + j]; arg = j }
            if arg == labels[r] { correct += 1 }
            var sum: Float = 0
            for j in 0..<k {
                let e = expf(logits.data[row + j] - maxV)
                grad.data[row + j] = e
                sum += e
            }
            loss -= Double(logits.data[row + labels[r]] - maxV - logf(sum))
            for j in 0..<k { grad.data[row + j] /= sum * Float(n) }
            grad.data[row + labels[r]] -= 1 / Float(n)
        }
        return (Float(loss / Double(n)), grad, correct)
    }

    /// Index of the largest logit in each row (the first on ties).
    public static func predictions(_ logits: Matrix) -> [Int] {
        (0..<logits.rows).map { r in
            var best = 0
            for j in 1..<logits.cols where logits[r, j] > logits[r, best] { best = j }
            return best
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
