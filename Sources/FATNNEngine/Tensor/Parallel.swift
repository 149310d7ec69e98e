import Dispatch

/// Coarse-grained parallelism over the engine's worker threads.
///
/// The engine runs OpenBLAS single-threaded and splits work itself (batch samples, channels) into
/// `Parallel.threads` fixed chunks, so a result depends only on the thread count, never on
/// scheduling: reductions over chunks are summed in chunk order.
public enum Parallel {
    nonisolated(unsafe) private static var configured = 1
    /// Set on threads that already run one chunk of a coarser split (``serially(_:)``).
    @TaskLocal private static var inChunk = false

    /// Number of chunks the engine splits work into (set with `BLAS.setThreads`); 1 inside
    /// ``serially(_:)``.
    public static var threads: Int { inChunk ? 1 : configured }

    /// Runs `body` on the calling thread with every split inside it in one chunk: for work that
    /// is already one of ``threads`` concurrent chunks of a coarser split (whole images through a
    /// whole network), so that it does not split again.
    public static func serially<T>(_ body: () throws -> T) rethrows -> T {
        try $inChunk.withValue(true, operation: body)
    }

    static func set(_ n: Int) { configured = max(1, n) }

    /// The number of chunks ``chunks(_:into:_:)`` uses for `count` items at the current setting.
    public static func chunkCount(_ count: Int) -> Int { min(threads, max(count, 1)) }

    /// Calls `body(chunk, range)` for contiguous chunks of `0..<count`, concurrently: `chunks`
    /// of them (default ``chunkCount(_:)``). Chunks are the same for the same `count` and number.
    public static func chunks(_ count: Int, into chunks: Int? = nil, _ body: (Int, Range<Int>) -> Void) {
        let n = chunks ?? chunkCount(count)
        precondition(n >= 1)
        if n == 1 { body(0, 0..<count); return }
        // Each chunk touches disjoint data (the callers' contract), so sharing `body` across the
        // threads of this one bounded call is safe.
        withoutActuallyEscaping(body) { escapable in
            let shared = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: n) { c in
                let lo: Int = count * c / n
                let hi: Int = count * (c + 1) / n
                shared.value(c, lo..<hi)
            }
        }
    }
}

extension Parallel {
    /// `body` over the images (rows) of `x`: `threads` contiguous parts, each on its own thread
    /// and run `perPass` images at a time with every split inside it in one chunk
    /// (``serially(_:)``); the results, one row per image, joined in image order. For work whose
    /// result for an image depends on that image alone (evaluation before a classifier), so that
    /// one pass's activations stay in the core's cache.
    static func imagesInPasses(_ x: Matrix, threads: Int, perPass: Int, _ body: (Matrix) -> Matrix) -> Matrix {
        let cols = x.cols, threads = max(1, min(threads, x.rows)), perPass = max(1, perPass)
        var parts = [[Matrix]](repeating: [], count: threads)
        parts.withUnsafeMutableBufferPointer { out in
            let slots = UncheckedPointer(out.baseAddress!)
            chunks(x.rows, into: threads) { chunk, images in
                var mine: [Matrix] = []
                serially {
                    for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: perPass) {
                        let end = min(start + perPass, images.upperBound)
                        mine.append(body(Matrix(rows: end - start, cols: cols, data: Array(x.data[start * cols..<end * cols]))))
                    }
                }
                slots.pointer[chunk] = mine  // each chunk writes its own slot
            }
        }
        let all = parts.flatMap { $0 }
        return Matrix(rows: x.rows, cols: all.first?.cols ?? 0, data: all.flatMap(\.data))
    }
}

private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
