/// Rectified linear unit, `max(0, x)`, element-wise.
public final class ReLU: Layer {
    private var mask: [Bool] = []

    /// A ReLU.
    public init() {}

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        var out = input
        for i in out.data.indices where out.data[i] < 0 { out.data[i] = 0 }
        if training { mask = input.data.map { $0 > 0 } }
        return out
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        var g = gradOutput
        for i in g.data.indices where !mask[i] { g.data[i] = 0 }
        return g
    }
}
