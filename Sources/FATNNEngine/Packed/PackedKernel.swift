import CTernaryKernels

/// The packed inner-product kernels (`FATNN.md` §4) and the CPU paths that run them.
///
/// Every kernel is a GEMM over bit planes, `out[m, n] = Σ_k w(m, k)·x(k, n)` in Int32, exact:
/// `m` a weight row (output channel), `n` an activation column (output pixel), `k` the reduction
/// axis packed 64 lanes per word. ``PackedWeights`` and ``PackedActivations`` hold the planes.
public enum PackedKernel {
    /// Which inner product: the value sets of the two operands and how the planes encode them.
    public enum Kind: String, CaseIterable, Sendable, Codable {
        /// FATNN's ternary kernel: activations `{0,1,2}` as shifted sign/mask planes, weights
        /// `{-1,0,+1}` as sign/mask planes; 3 logic ops and 2 popcounts per word.
        case fatnn
        /// Conventional ternary: thermometer activation planes `A0, A1`, weight planes
        /// `Wp = [w = 1]`, `Wn = [w = -1]`; 4 ANDs and 4 popcounts per word.
        case tnn4
        /// 2-bit x 2-bit, bit-serial: unsigned codes `{0..3}` on both sides; 4 popcounts per word.
        case twoBit = "2bit"
        /// Binary XNOR: `{-1,+1}` on both sides, one plane each; 1 XOR and 1 popcount per word.
        case binary
        /// 2-bit unsigned activations `{0..3}` x 2-bit signed weights `{-2..1}` (two's complement
        /// planes `w = v0 − 2·v1`), bit-serial: 4 popcounts per word (`lsq2`).
        case twoBitSigned = "2bit-signed"
        /// 2-bit unsigned activations `{0..3}` x ternary weights `{-1,0,+1}` (`fatnn-a2`): weight
        /// planes as ``fatnn``, `P_j = pc(Mw ∧ ¬(u_j ⊕ Sw))`, `Σ u·w = 3·npos − (P0 + 2·P1)`: 2
        /// popcounts per word, as FATNN's ternary kernel.
        case fatnnA2 = "fatnn-a2"

        var c: tk_kind {
            switch self {
            case .fatnn: TK_FATNN
            case .tnn4: TK_TNN4
            case .twoBit: TK_2BIT
            case .binary: TK_BINARY
            case .twoBitSigned: TK_2BIT_SIGNED
            case .fatnnA2: TK_A2
            }
        }

        /// Bit planes per operand.
        public var planes: Int { self == .binary ? 1 : 2 }

        /// Kinds with one activation encoding share this number: FATNN's shifted planes, the
        /// thermometer planes of tnn4, the unsigned 2-bit code's bits, binary's sign plane.
        var activationEncoding: Int {
            switch self {
            case .fatnn: 0
            case .tnn4: 1
            case .twoBit, .twoBitSigned, .fatnnA2: 2
            case .binary: 3
            }
        }

        /// The activation codes the kind takes: `{0,1,2}`, `{0..3}` or `{-1,1}`.
        public var activationCodes: ClosedRange<Int> {
            switch self {
            case .fatnn, .tnn4: 0...2
            case .twoBit, .twoBitSigned, .fatnnA2: 0...3
            case .binary: -1...1
            }
        }

        /// The weight codes the kind takes.
        public var weightCodes: ClosedRange<Int> {
            switch self {
            case .fatnn, .tnn4, .fatnnA2, .binary: -1...1
            case .twoBit: 0...3
            case .twoBitSigned: -2...1
            }
        }
    }

    /// An implementation of the kernels. All are in every build; which can run is a CPU question.
    public enum Path: String, CaseIterable, Sendable, Codable {
        /// Portable C, the oracle every other path is tested against.
        case scalar
        /// x86-64 AVX2 (table-lookup popcount).
        case avx2
        /// x86-64 AVX-512 with VPOPCNTDQ.
        case avx512
        /// arm64 NEON (byte popcounts, pairwise-widening adds).
        case neon

        var c: tk_path {
            switch self {
            case .scalar: TK_SCALAR
            case .avx2: TK_AVX2
            case .avx512: TK_AVX512
            case .neon: TK_NEON
            }
        }

        /// Whether this CPU can run the path.
        public var isSupported: Bool { tk_path_supported(c) != 0 }

        /// The fastest path this CPU supports (or `FATNN_KERNEL_PATH`, if set to a supported one).
        public static var best: Path {
            switch tk_best_path() {
            case TK_AVX512: .avx512
            case TK_AVX2: .avx2
            case TK_NEON: .neon
            default: .scalar
            }
        }

        /// The paths this CPU supports, scalar first.
        public static var supported: [Path] { allCases.filter(\.isSupported) }
    }

    /// `Σ_k w(m,k)·x(k,n)` for every weight row `m` and activation column `n`, row-major
    /// `rows x columns` (for ``Kind/fatnn`` and ``Kind/fatnnA2`` with the per-row term added, so
    /// the value is the plain integer dot product of the codes).
    ///
    /// Column blocks are split over `threads` (default: the engine's, ``Parallel``).
    /// - Complexity: O(rows · columns · words).
    public static func multiply(_ weights: PackedWeights, _ activations: PackedActivations,
                                path: Path = .best, threads: Int? = nil) -> [Int32] {
        var out = multiplyRaw(weights, activations, path: path, threads: threads)
        let n = activations.columns, (offsets, negate) = weights.dotFromRaw
        guard let offsets else { return out }
        for m in 0..<weights.rows {
            let s = offsets[m]
            for j in 0..<n { out[m * n + j] = negate ? s &- out[m * n + j] : out[m * n + j] &+ s }
        }
        return out
    }

    /// The kernel's own output, row-major `rows x columns`: for ``Kind/fatnn``
    /// `Σ (a − 1)·w = Σ a·w − Σ w` (the shifted encoding; add ``PackedWeights/rowSums`` or fold
    /// it into the next thresholds), for ``Kind/fatnnA2`` `P0 + 2·P1` (the dot product is
    /// `3·npos − raw`, ``PackedWeights/dotFromRaw``), for the other kinds the dot product itself.
    public static func multiplyRaw(_ weights: PackedWeights, _ activations: PackedActivations,
                                   path: Path = .best, threads: Int? = nil) -> [Int32] {
        let n = activations.columns, count = weights.rows * n
        // The kernels write every column of every row, so the storage starts uninitialized (a
        // zero fill of it was 2-5% of a QAT step).
        return [Int32](unsafeUninitializedCapacity: count) { o, written in
            if count > 0 { multiplyRaw(weights, activations, path: path, threads: threads, into: o.baseAddress!, ldc: n) }
            written = count
        }
    }

    /// ``multiplyRaw(_:_:path:threads:)`` into caller-owned storage with row stride `ldc ≥ columns`.
    public static func multiplyRaw(_ weights: PackedWeights, _ activations: PackedActivations,
                                   path: Path = .best, threads: Int? = nil,
                                   into out: UnsafeMutablePointer<Int32>, ldc: Int) {
        precondition(weights.kind == activations.kind, "multiply: \(weights.kind) weights with \(activations.kind) activations")
        precondition(weights.bits == activations.bits, "multiply: reduction length \(weights.bits) vs \(activations.bits)")
        precondition(path.isSupported, "multiply: the \(path) path is not supported on this CPU")
        precondition(ldc >= activations.columns, "multiply: row stride \(ldc) below \(activations.columns) columns")
        let blocks = activations.blocks
        let dst = UncheckedPointer(out)
        weights.plane0.withUnsafeBufferPointer { w0 in
            weights.plane1.withUnsafeBufferPointer { w1 in
                activations.plane0.withUnsafeBufferPointer { x0 in
                    activations.plane1.withUnsafeBufferPointer { x1 in
                        let pw0 = UncheckedPointer(w0.baseAddress!), pw1 = UncheckedPointer(w1.baseAddress)
                        let px0 = UncheckedPointer(x0.baseAddress!), px1 = UncheckedPointer(x1.baseAddress)
                        let chunks = min(max(1, threads ?? Parallel.threads), max(blocks, 1))
                        Parallel.chunks(blocks, into: chunks) { _, range in
                            let rc = tk_gemm(weights.kind.c, path.c, pw0.pointer, pw1.pointer, px0.pointer, px1.pointer,
                                             dst.pointer, ldc, weights.rows, activations.columns, weights.words,
                                             weights.bits, range.lowerBound, range.upperBound)
                            precondition(rc == 0, "tk_gemm rejected its arguments")
                        }
                    }
                }
            }
        }
    }
}

/// A pointer handed to the threads of one bounded ``Parallel/chunks(_:into:_:)`` call, each of
/// which touches a disjoint part of what it points at.
struct UncheckedPointer<P>: @unchecked Sendable {
    let pointer: P
    init(_ pointer: P) { self.pointer = pointer }
}
