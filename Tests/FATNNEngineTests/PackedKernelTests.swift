@testable import FATNNEngine
import FATNNVocabulary
import Testing

/// The packed kernels (`FATNN.md` §4): the spec's test vectors, and every kernel on every CPU
/// path this machine supports equal to plain integer dot products and to the scalar oracle.
@Suite struct PackedKernelTests {
    private func codes(_ s: String) -> [Int8] { s.split(separator: ",").map { Int8($0.trimmingCharacters(in: .whitespaces))! } }

    /// Lanes of `bits` set in `word`, as codes `ifSet` / `ifClear`.
    private func lanes(_ word: UInt64, _ count: Int, ifSet: Int8, ifClear: Int8) -> [Int8] {
        (0..<count).map { word >> UInt64($0) & 1 == 1 ? ifSet : ifClear }
    }

    private func dotOnEveryPath(_ kind: PackedKernel.Kind, a: [Int8], w: [Int8]) -> [Int32] {
        let pw = PackedWeights(kind: kind, rows: 1, bits: w.count, codes: w)
        let px = PackedActivations(kind: kind, columns: 1, bits: a.count) { k, _ in a[k] }
        return PackedKernel.Path.supported.map { PackedKernel.multiply(pw, px, path: $0)[0] }
    }

    @Test func vectorA() {
        let a = codes("2,1,0,2,2,0,1,2"), w = codes("1,1,-1,1,-1,0,-1,1")
        let pw = PackedWeights(kind: .fatnn, rows: 1, bits: 8, codes: w)
        let px = PackedActivations(kind: .fatnn, columns: 1, bits: 8) { k, _ in a[k] }
        #expect(px.plane0[0] == 0xBD && px.plane1[0] == 0x24)   // Mx, Sx
        #expect(pw.plane0 == [0xDF] && pw.plane1 == [0x54])      // Mw, Sw
        #expect(pw.rowSums == [1])
        let tw = PackedWeights(kind: .tnn4, rows: 1, bits: 8, codes: w)
        let tx = PackedActivations(kind: .tnn4, columns: 1, bits: 8) { k, _ in a[k] }
        #expect(tx.plane0[0] == 0xDB && tx.plane1[0] == 0x99)   // A0, A1
        #expect(tw.plane0 == [0x8B])                             // Wp
        // The raw FATNN kernel gives pc(T) − 2·pc(D) = 5 − 2 = 3; with Σw the dot product 4.
        for path in PackedKernel.Path.supported { #expect(PackedKernel.multiplyRaw(pw, px, path: path) == [3]) }
        #expect(dotOnEveryPath(.fatnn, a: a, w: w).allSatisfy { $0 == 4 })
        #expect(dotOnEveryPath(.tnn4, a: a, w: w).allSatisfy { $0 == 4 })
    }

    @Test func vectorB() {
        let u = codes("3,1,0,2,2,0,1,3"), v = codes("2,2,0,2,0,1,0,2")
        let pv = PackedWeights(kind: .twoBit, rows: 1, bits: 8, codes: v)
        let pu = PackedActivations(kind: .twoBit, columns: 1, bits: 8) { k, _ in u[k] }
        #expect(pu.plane0[0] == 0xC3 && pu.plane1[0] == 0x99 && pv.plane0 == [0x20] && pv.plane1 == [0x8B])
        #expect(dotOnEveryPath(.twoBit, a: u, w: v).allSatisfy { $0 == 18 })
    }

    /// Signed 2-bit weights: 3·(−2) + 1·1 + 0 + 2·(−1) + 2·1 + 0 + 0 + 3·1 = −2; planes are the
    /// two's-complement bits (−2 = v1 alone, −1 = both).
    @Test func signedTwoBitVector() {
        let u = codes("3,1,0,2,2,0,1,3"), w = codes("-2,1,0,-1,1,-2,0,1")
        let pw = PackedWeights(kind: .twoBitSigned, rows: 1, bits: 8, codes: w)
        #expect(pw.plane0 == [0x9A] && pw.plane1 == [0x29])
        #expect(dotOnEveryPath(.twoBitSigned, a: u, w: w) == Array(repeating: -2, count: PackedKernel.Path.supported.count))
    }

    /// 2-bit activations x ternary weights: 3 + 1 + 0 + 2 − 2 + 0 − 1 + 3 = 6. The raw kernel output
    /// is P0 + 2·P1 = 3·npos − z with npos = 4: 12 − 6 = 6 (P0 = 2: lanes 3 (w = +1, bit 0 clear)
    /// and 6 (w = −1, bit 0 set); P1 = 2: lanes 1 and 4).
    @Test func twoBitTernaryVector() {
        let u = codes("3,1,0,2,2,0,1,3"), w = codes("1,1,-1,1,-1,0,-1,1")
        let pw = PackedWeights(kind: .fatnnA2, rows: 1, bits: 8, codes: w)
        let px = PackedActivations(kind: .fatnnA2, columns: 1, bits: 8) { k, _ in u[k] }
        for path in PackedKernel.Path.supported { #expect(PackedKernel.multiplyRaw(pw, px, path: path) == [6]) }
        #expect(pw.dotFromRaw.offsets == [12] && pw.dotFromRaw.negate)
        #expect(dotOnEveryPath(.fatnnA2, a: u, w: w) == Array(repeating: 6, count: PackedKernel.Path.supported.count))
        // All weights −1 and all activations 3 on 130 lanes (3 words): −390.
        #expect(dotOnEveryPath(.fatnnA2, a: [Int8](repeating: 3, count: 130), w: [Int8](repeating: -1, count: 130)).allSatisfy { $0 == -390 })
    }

    @Test func vectorC() {
        // Plane bit 1 means −1.
        let x = lanes(0x99, 8, ifSet: -1, ifClear: 1), w = lanes(0x8B, 8, ifSet: -1, ifClear: 1)
        #expect(dotOnEveryPath(.binary, a: x, w: w).allSatisfy { $0 == 4 })
    }

    @Test func vectorD() {
        let a = codes("2,1,2,2,1,2,2,0,0,0,0,2,2,0,1,2,0,2,0,1,2,0,1,0,2,0,2,1,1,1,1,1,1,2,2,2,2,1,1,2,1,0,2,0,2,1,0,0,1,0,0,1,2,1,2,2,2,1,1,1,0,1,1,0")
        let w = codes("1,-1,-1,-1,1,1,1,-1,1,0,0,-1,0,1,0,-1,0,-1,1,1,-1,0,1,1,1,0,-1,1,0,-1,-1,0,1,0,0,1,1,0,0,0,-1,-1,0,0,0,-1,-1,-1,0,1,0,0,0,1,0,0,0,0,0,0,0,1,1,-1")
        let pw = PackedWeights(kind: .fatnn, rows: 1, bits: 64, codes: w)
        let px = PackedActivations(kind: .fatnn, columns: 1, bits: 64) { k, _ in a[k] }
        #expect(px.plane0[0] == 0x91D6_DE9E_07B7_BFED && px.plane1[0] == 0x9006_CA00_02A5_2780)
        #expect(pw.plane0 == [0xE022_E319_6DDE_A9FF] && pw.plane1 == [0x8000_E300_6412_888E])
        #expect(pw.rowSums == [2])
        for path in PackedKernel.Path.supported { #expect(PackedKernel.multiplyRaw(pw, px, path: path) == [-1]) }
        #expect(dotOnEveryPath(.fatnn, a: a, w: w).allSatisfy { $0 == 1 })
        #expect(dotOnEveryPath(.tnn4, a: a, w: w).allSatisfy { $0 == 1 })
    }

    /// Odd sizes: reductions not a multiple of 64 (1x1 and 3x3 windows of odd channel counts),
    /// column counts off the 8-column block, row counts off every path's row block.
    @Test(arguments: PackedKernel.Kind.allCases, [(1, 1, 1), (3, 63, 7), (7, 64, 9), (13, 65, 33), (5, 144, 17), (17, 577, 3), (6, 1152, 16)])
    func everyPathEqualsIntegerDotProducts(kind: PackedKernel.Kind, size: (Int, Int, Int)) {
        let (rows, bits, columns) = size
        var rng = RandomSource(seed: UInt64(rows * 1_000_003 + bits * 101 + columns))
        var w = [Int8](repeating: 0, count: rows * bits), x = [Int8](repeating: 0, count: bits * columns)
        for i in w.indices { w[i] = PackedKernel.randomWeightCode(kind, &rng) }
        for i in x.indices { x[i] = PackedKernel.randomActivationCode(kind, &rng) }
        var expected = [Int32](repeating: 0, count: rows * columns)
        for m in 0..<rows {
            for n in 0..<columns {
                var s: Int32 = 0
                for k in 0..<bits { s += Int32(w[m * bits + k]) * Int32(x[k * columns + n]) }
                expected[m * columns + n] = s
            }
        }
        let pw = PackedWeights(kind: kind, rows: rows, bits: bits, codes: w)
        let px = PackedActivations(kind: kind, columns: columns, bits: bits) { k, n in x[k * columns + n] }
        #expect(PackedKernel.Path.supported.contains(.scalar))
        for path in PackedKernel.Path.supported {
            for threads in [1, 2] {
                #expect(PackedKernel.multiply(pw, px, path: path, threads: threads) == expected,
                        "\(kind) on \(path) with \(threads) threads")
            }
        }
    }

    /// Every code pair held constant over long reductions: the sums reach the largest values any
    /// lane counter or byte count of the vector paths holds (the AVX2 carry-save trees run in
    /// blocks of 16, 8, 4, 2 and 1 words, so 38 words take every block size but 8).
    @Test(arguments: PackedKernel.Kind.allCases)
    func constantCodesOnLongReductionsDoNotOverflow(kind: PackedKernel.Kind) {
        let weightCodes: [Int8], activationCodes: [Int8]
        switch kind {
        case .fatnn, .tnn4: (weightCodes, activationCodes) = ([-1, 0, 1], [0, 1, 2])
        case .fatnnA2: (weightCodes, activationCodes) = ([-1, 0, 1], [0, 1, 2, 3])
        case .twoBit: (weightCodes, activationCodes) = ([0, 1, 2, 3], [0, 1, 2, 3])
        case .twoBitSigned: (weightCodes, activationCodes) = ([-2, -1, 0, 1], [0, 1, 2, 3])
        case .binary: (weightCodes, activationCodes) = ([-1, 1], [-1, 1])
        }
        let bits = 38 * 64 - 5, rows = 3, columns = 9
        for wc in weightCodes {
            for ac in activationCodes {
                let pw = PackedWeights(kind: kind, rows: rows, bits: bits, codes: [Int8](repeating: wc, count: rows * bits))
                let px = PackedActivations(kind: kind, columns: columns, bits: bits) { _, _ in ac }
                let expected = [Int32](repeating: Int32(bits) * Int32(wc) * Int32(ac), count: rows * columns)
                for path in PackedKernel.Path.supported {
                    #expect(PackedKernel.multiply(pw, px, path: path) == expected, "\(kind) on \(path), w \(wc), a \(ac)")
                }
            }
        }
    }

    /// Random codes on reductions around the AVX2 tree's block sizes (15 to 72 words) and its
    /// thresholds (the 4-popcount kind takes it from 6 words, signed 2-bit from 8, the others from
    /// 16; below, the byte-lookup kernel).
    @Test(arguments: PackedKernel.Kind.allCases, [1, 3, 4, 5, 6, 8, 9, 15, 16, 17, 31, 33, 47, 72])
    func everyPathEqualsTheOracleAroundTreeBlocks(kind: PackedKernel.Kind, words: Int) {
        let rows = 5, columns = 19, bits = words * 64 - 3
        var rng = RandomSource(seed: UInt64(words * 7919 + (PackedKernel.Kind.allCases.firstIndex(of: kind) ?? 0)))
        let w = (0..<rows * bits).map { _ in PackedKernel.randomWeightCode(kind, &rng) }
        let x = (0..<bits * columns).map { _ in PackedKernel.randomActivationCode(kind, &rng) }
        let pw = PackedWeights(kind: kind, rows: rows, bits: bits, codes: w)
        let px = PackedActivations(kind: kind, columns: columns, bits: bits) { k, n in x[k * columns + n] }
        let oracle = PackedKernel.multiply(pw, px, path: .scalar)
        var first: Int32 = 0
        for k in 0..<bits { first += Int32(w[k]) * Int32(x[k * columns]) }
        #expect(oracle[0] == first)
        for path in PackedKernel.Path.supported where path != .scalar {
            #expect(PackedKernel.multiply(pw, px, path: path, threads: 2) == oracle, "\(kind) on \(path), \(words) words")
        }
    }

    /// Reductions of at most 32 lanes (1x1 convs of 16 or 32 channels): the AVX2 path packs 4 or
    /// 2 weight rows into each word; row counts off those groups, and partial column blocks.
    @Test(arguments: PackedKernel.Kind.allCases, [1, 9, 16, 17, 32, 33])
    func shortReductionsPackRowsExactly(kind: PackedKernel.Kind, bits: Int) {
        for rows in [1, 3, 4, 5, 9] {
            var rng = RandomSource(seed: UInt64(bits * 31 + rows))
            let columns = 19
            let w = (0..<rows * bits).map { _ in PackedKernel.randomWeightCode(kind, &rng) }
            let x = (0..<bits * columns).map { _ in PackedKernel.randomActivationCode(kind, &rng) }
            var expected = [Int32](repeating: 0, count: rows * columns)
            for m in 0..<rows {
                for n in 0..<columns {
                    for k in 0..<bits { expected[m * columns + n] += Int32(w[m * bits + k]) * Int32(x[k * columns + n]) }
                }
            }
            let pw = PackedWeights(kind: kind, rows: rows, bits: bits, codes: w)
            let px = PackedActivations(kind: kind, columns: columns, bits: bits) { k, n in x[k * columns + n] }
            for path in PackedKernel.Path.supported {
                #expect(PackedKernel.multiply(pw, px, path: path) == expected, "\(kind) on \(path), \(rows) rows of \(bits) lanes")
            }
        }
    }

    /// Reductions whose last word is at most a quarter or a half full (3x3 convs over 16 and 32
    /// channels: 144 and 288 lanes): the AVX2 byte-lookup kernel counts that word 8 pixels per
    /// register. Random codes; the extreme constant codes (the largest per-pixel field sums); one
    /// row alone using lanes 16-31 of the last word; more rows than the path prepares (257).
    @Test(arguments: PackedKernel.Kind.allCases, [80, 96, 144, 160, 288, 300])
    func partlyUsedLastWordsCountExactly(kind: PackedKernel.Kind, bits: Int) {
        for rows in [3, 257] {
            var rng = RandomSource(seed: UInt64(bits * 131 + rows))
            let columns = rows > 100 ? 9 : 19
            var w = (0..<rows * bits).map { _ in PackedKernel.randomWeightCode(kind, &rng) }
            let x = (0..<bits * columns).map { _ in PackedKernel.randomActivationCode(kind, &rng) }
            if kind != .binary && bits % 64 > 16 && bits % 64 <= 32 {
                // Only row 1 reaches past lane 16 of the last word, by one lane (a zero code packs
                // as zero bits in every kind but binary).
                let last = bits - bits % 64
                for m in 0..<rows { for k in (last + 16)..<bits { w[m * bits + k] = m == 1 && k == last + 16 ? 1 : 0 } }
            }
            let pw = PackedWeights(kind: kind, rows: rows, bits: bits, codes: w)
            let px = PackedActivations(kind: kind, columns: columns, bits: bits) { k, n in x[k * columns + n] }
            var expected = [Int32](repeating: 0, count: rows * columns)
            for m in 0..<rows {
                for n in 0..<columns {
                    for k in 0..<bits { expected[m * columns + n] += Int32(w[m * bits + k]) * Int32(x[k * columns + n]) }
                }
            }
            for path in PackedKernel.Path.supported {
                #expect(PackedKernel.multiply(pw, px, path: path) == expected, "\(kind) on \(path), \(rows) rows of \(bits) lanes")
            }
        }
        let extremes: [(Int8, Int8)] = switch kind {
        case .fatnn, .tnn4: [(1, 2), (-1, 2), (1, 0), (-1, 0)]
        case .fatnnA2: [(1, 3), (-1, 3)]
        case .twoBit: [(3, 3)]
        case .twoBitSigned: [(-2, 3), (1, 3)]
        case .binary: [(1, 1), (-1, 1)]
        }
        for (wc, ac) in extremes {
            let pw = PackedWeights(kind: kind, rows: 5, bits: bits, codes: [Int8](repeating: wc, count: 5 * bits))
            let px = PackedActivations(kind: kind, columns: 11, bits: bits) { _, _ in ac }
            let expected = [Int32](repeating: Int32(bits) * Int32(wc) * Int32(ac), count: 5 * 11)
            for path in PackedKernel.Path.supported {
                #expect(PackedKernel.multiply(pw, px, path: path) == expected, "\(kind) on \(path), \(bits) lanes, w \(wc), a \(ac)")
            }
        }
    }

    /// The fast path a plain build chooses on an x86-64 CPU with AVX2, or on arm64, is not the
    /// scalar one; NEON exists only on arm64, AVX2 and AVX-512 only on x86-64.
    @Test func bestPathIsTheFastestSupported() {
        let best = PackedKernel.Path.best
        #expect(best.isSupported)
        if PackedKernel.Path.neon.isSupported { #expect(best == .neon) }
        else if PackedKernel.Path.avx512.isSupported { #expect(best == .avx512) }
        else if PackedKernel.Path.avx2.isSupported { #expect(best == .avx2) }
        #if arch(x86_64)
        #expect(!PackedKernel.Path.neon.isSupported)
        #elseif arch(arm64)
        #expect(PackedKernel.Path.neon.isSupported && !PackedKernel.Path.avx2.isSupported)
        #endif
    }
}
