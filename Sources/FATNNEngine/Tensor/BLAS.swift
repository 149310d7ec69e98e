import COpenBLAS
import CMalloc

/// Thin, typed wrappers over the OpenBLAS calls the engine uses.
public enum BLAS {
    /// Sets the engine's thread count for this process. Call once, before training.
    ///
    /// The engine splits work into `count` chunks itself (``Parallel``) and keeps OpenBLAS
    /// single-threaded, so nothing is oversubscribed. With several workers on one host, give each
    /// `cores / workers` threads.
    public static func setThreads(_ count: Int) {
        #if os(Linux)
        // Activations are tens of MB per layer. glibc serves such blocks with fresh mmap pages and
        // returns them on free, so every step would page-fault and zero them again; keep them in
        // the heap for reuse instead.
        mallopt(M_MMAP_THRESHOLD, 32 << 20)  // the largest value glibc accepts
        mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
        openblas_set_num_threads(1)
        Parallel.set(min(max(1, count), 256))
    }

    /// The engine's thread count.
    public static var threads: Int { Parallel.threads }

    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices, row blocks of C in parallel.
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
        let lda = a.cols, ldb = b.cols
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    let pA: UnsafePointer<Float> = pa.baseAddress!
                    let pB: UnsafePointer<Float> = pb.baseAddress!
                    let pC: UnsafeMutablePointer<Float> = pc.baseAddress!
                    // Row blocks of C are independent: split them over the engine's threads.
                    Parallel.chunks(m) { _, rows in
                        let first: Int = rows.lowerBound
                        let aOffset: Int = transA ? first : first * lda
                        let cOffset: Int = first * n
                        sgemm(transA: transA, transB: transB, m: rows.count, n: n, k: k, alpha: alpha,
                              a: pA.advanced(by: aOffset), lda: lda, b: pB, ldb: ldb,
                              beta: beta, c: pC.advanced(by: cOffset), ldc: n)
                    }
                }
            }
        }
    }

    /// `C = alpha·op(A)·op(B) + beta·C` on raw row-major storage (no shape checks), on the
    /// calling thread.
    /// - Complexity: O(m·n·k).
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
