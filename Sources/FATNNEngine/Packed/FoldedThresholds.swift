/// Integer thresholds on a quantized conv's accumulator that replace the float path
/// `BatchNorm → ReLU → next FATNN activation quantizer` (`FATNN.md` §5).
///
/// Per channel: `code = [d·r > θ1] + [d·r > θ2]` on the raw kernel output `r = z − Σw`, with
/// direction `d = +1` where the float path rises with `z` (γ > 0) and `d = −1` where it falls
/// (γ < 0); a constant path (γ = 0) gets thresholds outside the accumulator's range.
///
/// The thresholds are read off the float path itself, evaluated on every integer `z` the conv
/// can produce (`|z| ≤ 2·Cin·k²`): they reproduce its codes exactly, ties included (the spec's
/// strict `>` and whatever rounding the float BatchNorm does), instead of approximating them by
/// the closed form `τ = μ + (t − β)·√(σ²+ε)/γ`.
public struct FoldedThresholds: Sendable, Equatable {
    public let channels: Int
    public internal(set) var direction: [Int32]
    public internal(set) var theta1: [Int32]
    public internal(set) var theta2: [Int32]

    /// Why a float path cannot be folded.
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads the thresholds off `floatPath` (a batch of `channels x spatial` float maps in, codes
    /// `{0,1,2}` as floats out) for accumulators `z` in `-zMax...zMax`.
    ///
    /// - Parameter rowSums: `Σw` per channel (the shift between `z` and the raw kernel output).
    /// - Throws: ``Error`` if a channel's codes are not monotone in `z` or leave `{0,1,2}`.
    public static func derive(channels: Int, spatial: Int, zMax: Int, rowSums: [Int32],
                              floatPath: (Matrix) -> Matrix) throws -> FoldedThresholds {
        precondition(rowSums.count == channels && spatial > 0 && zMax >= 0)
        let count = 2 * zMax + 1
        let rows = (count + spatial - 1) / spatial
        let input = Matrix(rows: rows, cols: channels * spatial) { x in
            for r in 0..<rows {
                for c in 0..<channels {
                    for p in 0..<spatial {
                        x[(r * channels + c) * spatial + p] = Float(min(r * spatial + p, count - 1) - zMax)
                    }
                }
            }
        }
        let out = floatPath(input)
        precondition(out.rows == rows && out.cols == channels * spatial, "FoldedThresholds: the float path changed the shape")
        var result = FoldedThresholds(channels: channels, direction: [], theta1: [], theta2: [])
        for c in 0..<channels {
            var table = [Int](repeating: 0, count: count)
            for v in 0..<count {
                let code = out.data[(v / spatial * channels + c) * spatial + v % spatial]
                guard code == 0 || code == 1 || code == 2 else {
                    throw Error(description: "channel \(c): code \(code) at z = \(v - zMax) is not in {0,1,2}")
                }
                table[v] = Int(code)
            }
            let rising = zip(table, table.dropFirst()).allSatisfy { $0 <= $1 }
            let falling = zip(table, table.dropFirst()).allSatisfy { $0 >= $1 }
            guard rising || falling else { throw Error(description: "channel \(c): codes are not monotone in the accumulator") }
            let d: Int32 = rising ? 1 : -1
            // In d·z, the codes rise; τk is the largest d·z whose code is below k.
            let ordered = rising ? table : table.reversed()
            func tau(_ k: Int) -> Int32 { Int32(ordered.prefix { $0 < k }.count - 1 - zMax) }
            result.direction.append(d)
            result.theta1.append(tau(1) - d * rowSums[c])
            result.theta2.append(tau(2) - d * rowSums[c])
        }
        return result
    }

    /// Codes (NCHW, `images` images) from the raw accumulators of `images·spatial` columns
    /// (row-major `channels x (images·spatial)`).
    public func codes(raw: [Int32], images: Int, spatial: Int) -> [UInt8] {
        let columns = images * spatial
        precondition(raw.count == channels * columns)
        return raw.withUnsafeBufferPointer { rawBuffer in
            [UInt8](unsafeUninitializedCapacity: rawBuffer.count) { out, written in
                let src = rawBuffer.baseAddress!, dst = out.baseAddress!
                for m in 0..<channels {
                    let d = direction[m], t1 = theta1[m], t2 = theta2[m]
                    for img in 0..<images {
                        let a = src + (m * columns + img * spatial), b = dst + (img * channels + m) * spatial
                        for p in 0..<spatial {
                            let r = d &* a[p]
                            b[p] = (r > t1 ? 1 : 0) &+ (r > t2 ? 1 : 0)
                        }
                    }
                }
                written = rawBuffer.count
            }
        }
    }
}
