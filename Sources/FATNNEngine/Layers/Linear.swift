/// Fully connected layer `y = x·Wᵀ + b` with `W` of shape `out x in` (row-major).
public final class Linear: Layer {
    /// Input features.
    public let inFeatures: Int
    /// Output features.
    public let outFeatures: Int
    /// Weight, `outFeatures x inFeatures`.
    public let weight: Parameter
    /// Bias, or nil when the layer is followed by BatchNorm.
    public let bias: Parameter?
    private var cachedInput = Matrix(rows: 0, cols: 0)

    /// A layer with Kaiming-uniform weights (PyTorch's default scheme) from `rng`.
    public init(name: String, inFeatures: Int, outFeatures: Int, bias: Bool, rng: inout RandomSource) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Float(inFeatures).squareRoot()
        var w = [Float](repeating: 0, count: inFeatures * outFeatures)
        for i in w.indices { w[i] = (rng.nextUnitFloat() * 2 - 1) * bound }
        weight = Parameter(name: "\(name).weight", value: w, decays: true)
        if bias {
            var b = [Float](repeating: 0, count: outFeatures)
            for i in b.indices { b[i] = (rng.nextUnitFloat() * 2 - 1) * bound }
            self.bias = Parameter(name: "\(name).bias", value: b, decays: false)
        } else {
            self.bias = nil
        }
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    private var weightMatrix: Matrix { Matrix(rows: outFeatures, cols: inFeatures, data: weight.value) }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(input.cols == inFeatures, "Linear expects \(inFeatures) features, got \(input.cols)")
        var out = Matrix(rows: input.rows, cols: outFeatures)
        BLAS.gemm(input, weightMatrix, transB: true, into: &out)
        if let bias {
            out.data.withUnsafeMutableBufferPointer { o in
                for r in 0..<input.rows {
                    for c in 0..<outFeatures { o[r * outFeatures + c] += bias.value[c] }
                }
            }
        }
        if training { cachedInput = input }
        return out
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        var gw = Matrix(rows: outFeatures, cols: inFeatures, data: weight.grad)
        BLAS.gemm(gradOutput, transA: true, cachedInput, into: &gw, beta: 1)
        weight.grad = gw.data
        if let bias {
            for r in 0..<gradOutput.rows {
                for c in 0..<outFeatures { bias.grad[c] += gradOutput.data[r * outFeatures + c] }
            }
        }
        var gradInput = Matrix(rows: gradOutput.rows, cols: inFeatures)
        BLAS.gemm(gradOutput, weightMatrix, into: &gradInput)
        return gradInput
    }
}
