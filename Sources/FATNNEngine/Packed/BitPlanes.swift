/// Weights packed into bit planes, one row per output channel (`FATNN.md` §4).
///
/// Row `m`, word `k` of plane `p` is `plane_p[m · words + k]`; lane `i` of a word is bit `i`
/// (LSB first). Lanes past ``bits`` are zero in every plane, which makes them contribute
/// nothing in every kernel.
public struct PackedWeights: Sendable, Equatable {
    public let kind: PackedKernel.Kind
    /// Output channels.
    public let rows: Int
    /// Reduction length in lanes (e.g. `Cin·kh·kw`).
    public let bits: Int
    /// Words per row: `⌈bits / 64⌉`.
    public let words: Int
    /// fatnn: `Mw = [w ≠ 0]`; tnn4: `Wp = [w = +1]`; 2bit: bit 0 of the code; binary: `[w = −1]`.
    public internal(set) var plane0: [UInt64]
    /// fatnn: `Sw = [w = −1]`; tnn4: `Wn = [w = −1]`; 2bit: bit 1 of the code; binary: unused.
    public internal(set) var plane1: [UInt64]
    /// `Σ_k w(m, k)` per row: the constant the shifted FATNN kernel leaves out.
    public internal(set) var rowSums: [Int32]

    /// How the dot product `z` of row `m` follows from the kernel's raw output `r`: `z = r`
    /// (offsets nil), `z = offsets[m] + r` (``PackedKernel/Kind/fatnn``: `Σw`) or `z = offsets[m] − r`
    /// (``PackedKernel/Kind/fatnnA2``: `3·npos`, npos the row's +1 weights).
    public var dotFromRaw: (offsets: [Int32]?, negate: Bool) {
        switch kind {
        case .fatnn: return (rowSums, false)
        case .fatnnA2:
            // npos = (Σ|w| + Σw) / 2, with Σ|w| = popcount(Mw).
            let positives = (0..<rows).map { m in
                (plane0[(m * words)..<((m + 1) * words)].reduce(0) { $0 + Int32($1.nonzeroBitCount) } + rowSums[m]) / 2
            }
            return (positives.map { 3 * $0 }, true)
        default: return (nil, false)
        }
    }

    /// Packs `rows x bits` integer codes, row-major: ternary `{-1,0,1}` for fatnn, tnn4 and
    /// fatnn-a2, `{0..3}` for 2bit, `{-2..1}` for 2bit-signed, `{-1,1}` for binary.
    public init(kind: PackedKernel.Kind, rows: Int, bits: Int, codes: [Int8]) {
        precondition(codes.count == rows * bits, "PackedWeights: \(codes.count) codes for \(rows) x \(bits)")
        self.init(kind: kind, rows: rows, bits: bits) { codes[$0 * bits + $1] }
    }

    /// Packs the code `code(m, k)` of every row `m` and lane `k < bits`.
    public init(kind: PackedKernel.Kind, rows: Int, bits: Int, code: (Int, Int) -> Int8) {
        precondition(rows >= 0 && bits >= 0)
        self.kind = kind
        self.rows = rows
        self.bits = bits
        words = (bits + 63) / 64
        plane0 = [UInt64](repeating: 0, count: rows * words)
        plane1 = [UInt64](repeating: 0, count: kind.planes == 2 ? rows * words : 0)
        rowSums = [Int32](repeating: 0, count: rows)
        for m in 0..<rows {
            var sum: Int32 = 0
            for k in 0..<bits {
                let c = code(m, k)
                sum += Int32(c)
                let (b0, b1) = PackedWeights.planeBits(kind, c)
                let bit = UInt64(1) << UInt64(k & 63), word = m * words + k >> 6
                if b0 { plane0[word] |= bit }
                if b1 { plane1[word] |= bit }
            }
            rowSums[m] = sum
        }
    }

    /// Planes read back from storage; nil if their sizes do not fit `rows x bits`.
    public init?(kind: PackedKernel.Kind, rows: Int, bits: Int, plane0: [UInt64], plane1: [UInt64], rowSums: [Int32]) {
        let words = (bits + 63) / 64
        guard rows >= 0, bits >= 0, plane0.count == rows * words, plane1.count == (kind.planes == 2 ? rows * words : 0),
              rowSums.count == rows else { return nil }
        self.kind = kind
        self.rows = rows
        self.bits = bits
        self.words = words
        self.plane0 = plane0
        self.plane1 = plane1
        self.rowSums = rowSums
    }

    static func planeBits(_ kind: PackedKernel.Kind, _ c: Int8) -> (Bool, Bool) {
        switch kind {
        case .fatnn, .fatnnA2:
            precondition((-1...1).contains(c), "\(kind) weight code \(c) is not in {-1,0,1}")
            return (c != 0, c == -1)
        case .twoBitSigned:
            precondition((-2...1).contains(c), "2bit-signed weight code \(c) is not in -2...1")
            return (c & 1 != 0, c & 2 != 0)
        case .tnn4:
            precondition((-1...1).contains(c), "tnn4 weight code \(c) is not in {-1,0,1}")
            return (c == 1, c == -1)
        case .twoBit:
            precondition((0...3).contains(c), "2bit weight code \(c) is not in 0...3")
            return (c & 1 != 0, c & 2 != 0)
        case .binary:
            precondition(c == -1 || c == 1, "binary weight code \(c) is not -1 or 1")
            return (c == -1, false)
        }
    }
}

/// Activations packed into bit planes, one column per output pixel, in blocks of
/// ``PackedActivations/blockWidth`` columns (`FATNN.md` §4).
///
/// Column `n = nb · 8 + j`, word `k` of plane `p` is `plane_p[(nb · words + k) · 8 + j]`: a SIMD
/// register loads one word of 8 columns. Lanes past ``bits`` and columns past ``columns`` are
/// zero.
public struct PackedActivations: Sendable, Equatable {
    /// Columns per block.
    public static let blockWidth = 8

    public let kind: PackedKernel.Kind
    /// Activation columns (output pixels).
    public let columns: Int
    /// Reduction length in lanes.
    public let bits: Int
    /// Words per column: `⌈bits / 64⌉`.
    public let words: Int
    /// fatnn: `Mx = [a ≠ 1]`; tnn4: `A0 = [a ≥ 1]`; 2bit, 2bit-signed, fatnn-a2: bit 0 of the
    /// code; binary: `[x = −1]`.
    public internal(set) var plane0: [UInt64]
    /// fatnn: `Sx = [a = 0]`; tnn4: `A1 = [a ≥ 2]`; 2bit: bit 1 of the code; binary: unused.
    public internal(set) var plane1: [UInt64]

    /// Column blocks: `⌈columns / 8⌉`.
    public var blocks: Int { (columns + Self.blockWidth - 1) / Self.blockWidth }

    /// Empty (all-zero) planes for `columns x bits`.
    public init(kind: PackedKernel.Kind, columns: Int, bits: Int) {
        let count = (columns + Self.blockWidth - 1) / Self.blockWidth * Self.blockWidth * ((bits + 63) / 64)
        self.init(kind: kind, columns: columns, bits: bits) { p0, p1 in
            p0.initialize(repeating: 0, count: count)
            p1?.initialize(repeating: 0, count: count)
        }
    }

    /// Planes for `columns x bits` written by `fill(plane0, plane1)` (`plane1` nil for one-plane
    /// kinds), which must write every word (the planes are not cleared first).
    init(kind: PackedKernel.Kind, columns: Int, bits: Int,
         fill: (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>?) -> Void) {
        precondition(columns >= 0 && bits >= 0)
        self.kind = kind
        self.columns = columns
        self.bits = bits
        words = (bits + 63) / 64
        let count = (columns + Self.blockWidth - 1) / Self.blockWidth * Self.blockWidth * words
        var second = [UInt64]()
        plane0 = [UInt64](unsafeUninitializedCapacity: count) { p0, written0 in
            second = [UInt64](unsafeUninitializedCapacity: kind.planes == 2 ? count : 0) { p1, written1 in
                // One-plane kinds get no second pointer (an empty buffer may still have an address).
                if count > 0 { fill(p0.baseAddress!, kind.planes == 2 ? p1.baseAddress : nil) }
                written1 = kind.planes == 2 ? count : 0
            }
            written0 = count
        }
        plane1 = second
    }

    /// Packs the code `code(k, n)` of every lane `k < bits` and column `n`: `{0,1,2}` for fatnn
    /// and tnn4, `{0..3}` for 2bit, `{-1,1}` for binary.
    public init(kind: PackedKernel.Kind, columns: Int, bits: Int, code: (Int, Int) -> Int8) {
        self.init(kind: kind, columns: columns, bits: bits)
        for n in 0..<columns {
            for k in 0..<bits { set(k, n, code(k, n)) }
        }
    }

    /// The index of word `word` of column `column` in a plane.
    @inline(__always)
    public func index(word: Int, column: Int) -> Int {
        ((column >> 3) * words + word) * Self.blockWidth + (column & 7)
    }

    /// Sets lane `k` of column `n` to `code` (its bits in both planes must still be zero).
    public mutating func set(_ k: Int, _ n: Int, _ code: Int8) {
        let (b0, b1) = PackedActivations.planeBits(kind, code)
        let i = index(word: k >> 6, column: n), bit = UInt64(1) << UInt64(k & 63)
        if b0 { plane0[i] |= bit }
        if b1 { plane1[i] |= bit }
    }

    static func planeBits(_ kind: PackedKernel.Kind, _ c: Int8) -> (Bool, Bool) {
        switch kind {
        case .fatnn:
            precondition((0...2).contains(c), "fatnn activation code \(c) is not in {0,1,2}")
            return (c != 1, c == 0)
        case .tnn4:
            precondition((0...2).contains(c), "tnn4 activation code \(c) is not in {0,1,2}")
            return (c >= 1, c >= 2)
        case .twoBit, .twoBitSigned, .fatnnA2:
            precondition((0...3).contains(c), "\(kind) activation code \(c) is not in 0...3")
            return (c & 1 != 0, c & 2 != 0)
        case .binary:
            precondition(c == -1 || c == 1, "binary activation code \(c) is not -1 or 1")
            return (c == -1, false)
        }
    }
}
