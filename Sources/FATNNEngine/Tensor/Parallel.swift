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

private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
