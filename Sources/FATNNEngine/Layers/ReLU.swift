/// Rectified linear unit, `max(0, x)`, element-wise, split over the engine's threads.
public final class ReLU: Layer {
    /// The last training-mode output: its positive entries are where the gradient passes.
    private var output = Matrix(rows: 0, cols: 0)

    /// A ReLU.
    public init() {}

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        let out = input.data.withUnsafeBufferPointer { x in
            Matrix(rows: input.rows, cols: input.cols) { y in
                Parallel.chunks(y.count) { _, range in
                    for i in range { y[i] = x[i] > 0 ? x[i] : 0 }
                }
            }
        }
        if training { output = out }
        return out
    }

    /// `max(0, input + addend)` in one pass (a residual add fused with the ReLU after it); backward
    /// is the same as for `forward(input + addend)`.
    public func forward(_ input: Matrix, adding addend: Matrix, training: Bool) -> Matrix {
        precondition(input.rows == addend.rows && input.cols == addend.cols, "ReLU: the residual's shape differs from the input's")
        let out = input.data.withUnsafeBufferPointer { x in
            addend.data.withUnsafeBufferPointer { a in
                Matrix(rows: input.rows, cols: input.cols) { y in
                    Parallel.chunks(y.count) { _, range in
                        for i in range { let v = x[i] + a[i]; y[i] = v > 0 ? v : 0 }
                    }
                }
            }
        }
        if training { output = out }
        return out
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        precondition(gradOutput.rows == output.rows && gradOutput.cols == output.cols, "ReLU backward: gradient shape does not match the last training forward")
        return gradOutput.data.withUnsafeBufferPointer { g in
            output.data.withUnsafeBufferPointer { y in
                Matrix(rows: gradOutput.rows, cols: gradOutput.cols) { dx in
                    Parallel.chunks(dx.count) { _, range in
                        // Load g unconditionally so that the loop vectorizes as a select.
                        for i in range { let gi = g[i]; dx[i] = y[i] > 0 ? gi : 0 }
                    }
                }
            }
        }
    }
}
