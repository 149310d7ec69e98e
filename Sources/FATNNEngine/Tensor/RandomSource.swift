/// A small, fast, seedable generator (SplitMix64) so that training is reproducible bit for bit
/// for a given seed on every platform.
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole sequence is fixed by `seed`. `RandomSource(seed: g.state)`
    /// continues exactly where `g` is.
    public init(seed: UInt64) { state = seed }

    /// The generator's position, for checkpoints.
    public var position: UInt64 { state }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform `Float` in `[0, 1)` with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A standard normal sample (Box-Muller).
    public mutating func nextGaussian() -> Float {
        var u1 = nextUnitFloat()
        if u1 < 1e-7 { u1 = 1e-7 }
        let u2 = nextUnitFloat()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
    }

    /// A permutation of `0..<count` (Fisher-Yates), reproducible for the generator's state.
    public mutating func permutation(_ count: Int) -> [Int] {
        var p = Array(0..<count)
        if count < 2 { return p }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }

    /// A generator derived from this seed and a stream label, independent of other streams.
    public static func stream(seed: UInt64, _ label: UInt64) -> RandomSource {
        var mixer = RandomSource(seed: seed ^ (label &* 0xD1B5_4A32_D192_ED03))
        return RandomSource(seed: mixer.next())
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
