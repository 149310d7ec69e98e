/// A dense row-major matrix of `Float`: the engine's activation and gradient carrier.
///
/// Layout: element `(r, c)` lives at `data[r * cols + c]`. A batch of `N` samples with `F`
/// features is an `N x F` matrix, one sample per row, so that a fully connected layer is a single
/// SGEMM call and a row is contiguous in memory.
public struct Matrix: Sendable, Equatable {
    /// Number of rows (samples).
    public let rows: Int
    /// Number of columns (features).
    public let cols: Int
    /// Row-major storage, `rows * cols` elements.
    public var data: [Float]

    /// A matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        self.data = [Float](repeating: value, count: rows * cols)
    }

    /// A matrix over existing row-major storage; `data.count` must equal `rows * cols`.
    public init(rows: Int, cols: Int, data: [Float]) {
        precondition(data.count == rows * cols, "Matrix storage has \(data.count) elements, expected \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    /// A matrix whose every element `fill` writes (the storage starts uninitialized).
    public init(rows: Int, cols: Int, fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        self.rows = rows
        self.cols = cols
        self.data = [Float](unsafeUninitializedCapacity: rows * cols) { buffer, count in
            fill(buffer)
            count = rows * cols
        }
    }

    /// Element access.
    public subscript(row: Int, col: Int) -> Float {
        get { data[row * cols + col] }
        set { data[row * cols + col] = newValue }
    }
}

extension Matrix {
    /// `self += other`, element-wise, split over the engine's threads.
    mutating func add(_ other: Matrix) {
        precondition(rows == other.rows && cols == other.cols, "Matrix.add: shapes differ (\(rows)x\(cols) vs \(other.rows)x\(other.cols))")
        other.data.withUnsafeBufferPointer { b in
            data.withUnsafeMutableBufferPointer { a in
                let (pa, pb) = (a.baseAddress!, b.baseAddress!)
                Parallel.chunks(a.count) { _, range in
                    for i in range { pa[i] += pb[i] }
                }
            }
        }
    }
}
