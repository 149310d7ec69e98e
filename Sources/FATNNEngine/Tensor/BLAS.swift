import COpenBLAS

/// Thin, typed wrappers over the OpenBLAS calls the engine uses.
public enum BLAS {
    /// Sets the number of OpenBLAS threads for this process.
    ///
    /// The engine parallelizes only inside OpenBLAS at this stage, so this is the engine's thread
    /// count. With several workers on one host, give each `cores / workers` threads to avoid
    /// oversubscription.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(min(max(1, count), 1024)))
    }

    /// The current number of OpenBLAS threads.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices.
    ///
    /// - Parameters:
    ///   - transA: use `Aᵀ` instead of `A`.
    ///   - transB: use `Bᵀ` instead of `B`.
    /// - Complexity: O(M·N·K) with `op(A)` of size M x K and `op(B)` of size K x N.
    public static func gemm(
        _ a: Matrix, transA: Bool = false,
        _ b: Matrix, transB: Bool = false,
        into c: inout Matrix, alpha: Float = 1, beta: Float = 0
    ) {
        let m = transA ? a.cols : a.rows
        let k = transA ? a.rows : a.cols
        let kb = transB ? b.cols : b.rows
        let n = transB ? b.rows : b.cols
        precondition(k == kb, "gemm: inner dimensions differ (\(k) vs \(kb))")
        precondition(c.rows == m && c.cols == n, "gemm: output is \(c.rows)x\(c.cols), expected \(m)x\(n)")
        if m == 0 || n == 0 { return }
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    cblas_sgemm(
                        CblasRowMajor,
                        transA ? CblasTrans : CblasNoTrans,
                        transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k),
                        alpha, pa.baseAddress, Int32(a.cols),
                        pb.baseAddress, Int32(b.cols),
                        beta, pc.baseAddress, Int32(n))
                }
            }
        }
    }
}
