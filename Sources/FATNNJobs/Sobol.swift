/// Sobol' low-discrepancy points in up to ``Sobol/maxDimensions`` dimensions, by point index
/// (Gray-code order, as SciPy's `qmc.Sobol`), optionally scrambled by a random linear matrix
/// scramble and a digital shift drawn from a seed (the scrambled points keep the net property:
/// the first 2^m points put one point in each of 2^m equal intervals of every coordinate).
///
/// Direction numbers: the first 21 dimensions of Joe and Kuo's `new-joe-kuo-6.21201` table
/// (the first dimension is the van der Corput sequence). The unscrambled points equal SciPy
/// 1.17's `qmc.Sobol(d, scramble=False)` (checked by `SobolTests`).
public struct Sobol: Sendable {
    /// Most dimensions this generator has direction numbers for.
    public static let maxDimensions = 21
    static let bits = 32

    /// (degree s, coefficients a, initial m_1…m_s) of dimensions 2…21.
    private static let table: [(s: Int, a: UInt32, m: [UInt32])] = [
        (1, 0, [1]), (2, 1, [1, 3]), (3, 1, [1, 3, 1]), (3, 2, [1, 1, 1]), (4, 1, [1, 1, 3, 3]), (4, 4, [1, 3, 5, 13]),
        (5, 2, [1, 1, 5, 5, 17]), (5, 4, [1, 1, 5, 5, 5]), (5, 7, [1, 1, 7, 11, 19]), (5, 11, [1, 1, 5, 1, 1]),
        (5, 13, [1, 1, 1, 3, 11]), (5, 14, [1, 3, 5, 5, 31]), (6, 1, [1, 3, 3, 9, 7, 49]), (6, 13, [1, 1, 1, 15, 21, 21]),
        (6, 16, [1, 3, 1, 13, 27, 49]), (6, 19, [1, 1, 1, 15, 7, 5]), (6, 22, [1, 3, 1, 15, 13, 25]),
        (6, 25, [1, 1, 5, 5, 19, 61]), (7, 1, [1, 3, 7, 11, 23, 15, 103]), (7, 4, [1, 3, 7, 13, 13, 15, 69]),
    ]

    /// Direction numbers per dimension, `bits` each (bit 31 is the first binary digit).
    private let directions: [[UInt32]]
    /// Digital shift per dimension (zero when unscrambled).
    private let shifts: [UInt32]

    /// A generator for `dimensions` coordinates (1...``maxDimensions``); `scrambleSeed` nil
    /// gives the plain sequence.
    public init(dimensions: Int, scrambleSeed: UInt64?) {
        let d = max(1, min(dimensions, Self.maxDimensions))
        var dirs = (0..<d).map(Self.plainDirections)
        var shifts = [UInt32](repeating: 0, count: d)
        if let seed = scrambleSeed {
            var rng = SplitMix64(seed: seed)
            for j in 0..<d {
                // Lower-triangular binary matrix with a unit diagonal: row r mixes digits 0...r.
                var rows = [UInt32](repeating: 0, count: Self.bits)
                for r in 0..<Self.bits {
                    let below = r == 0 ? UInt32(0) : UInt32(truncatingIfNeeded: rng.next()) & ~(UInt32.max >> r)
                    rows[r] = below | (UInt32(1) << (31 - r))
                }
                dirs[j] = dirs[j].map { v in Self.multiply(rows, v) }
                shifts[j] = UInt32(truncatingIfNeeded: rng.next() >> 32)
            }
        }
        directions = dirs
        self.shifts = shifts
    }

    /// Point number `index` (0 is the first), each coordinate in [0, 1).
    public func point(_ index: Int) -> [Double] {
        let gray = UInt64(index) ^ (UInt64(index) >> 1)
        return directions.indices.map { j in
            var x = shifts[j]
            var g = gray, k = 0
            while g != 0 && k < Self.bits {
                if g & 1 == 1 { x ^= directions[j][k] }
                g >>= 1; k += 1
            }
            return Double(x) / 4_294_967_296.0
        }
    }

    /// Row r of `rows` has bit (31 - c) set when digit r of the result takes digit c of `v`.
    private static func multiply(_ rows: [UInt32], _ v: UInt32) -> UInt32 {
        var out: UInt32 = 0
        for r in 0..<bits where (rows[r] & v).nonzeroBitCount & 1 == 1 { out |= UInt32(1) << (31 - r) }
        return out
    }

    private static func plainDirections(_ dimension: Int) -> [UInt32] {
        if dimension == 0 { return (0..<bits).map { UInt32(1) << (31 - $0) } }
        let (s, a, m) = table[dimension - 1]
        var v = [UInt32](repeating: 0, count: bits)
        for k in 0..<bits {
            if k < s { v[k] = m[k] << (31 - k); continue }
            var x = v[k - s] ^ (v[k - s] >> s)
            for j in 1..<s where (a >> (s - 1 - j)) & 1 == 1 { x ^= v[k - j] }
            v[k] = x
        }
        return v
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a small, fast, seedable generator whose output is
/// the same on every platform, so that a sweep file always expands to the same jobs.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) / 9_007_199_254_740_992.0 }
}
