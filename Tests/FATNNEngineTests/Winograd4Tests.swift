import CFloatKernels
@testable import FATNNEngine
import Testing

/// F(4x4, 3x3)'s AVX2 transforms give the portable versions' bits on every row length (8 tiles per
/// register with an overlapping last step, rows of 5-7 tiles whose extra lanes go past the row,
/// rows of 4 tiles two at a time with an odd one left, rows of fewer than 4 on the portable loops),
/// read nothing from the gaps between rows and channels, write the input transforms' slots
/// `0..<tiles` (the extra lanes at most 4 slots past them) and the map's outputs only (none past
/// its edge, which cuts the last tiles), nothing outside their scratch at any alignment; the same
/// for two images side by side (`x2`), on maps 1-12 wide.
@Suite struct Winograd4TransformTests {
    @Test(arguments: Array(1...37))
    func transformsMatchThePortablePath(width: Int) {
        guard fk_path_supported(FK_AVX2) == 1 else { return }  // a path this CPU lacks is untested here
        // One channel too: there the AVX2 plane, not the portable split layout, sizes the scratch.
        for height in [1 + width % 7, 9 + width % 4, 13 + width % 4] {
            for channels in [3, 1] {
                transformsMatch(width: width, height: height, channels: channels, paired: false)
                if width <= 12 { transformsMatch(width: width, height: height, channels: channels, paired: true) }
            }
        }
    }

    private func transformsMatch(width: Int, height: Int, channels: Int, paired: Bool) {
        var rng = RandomSource(seed: UInt64(width * 100 + height))
        let seen = paired ? 2 * width + 1 : width
        let th = (height + 3) / 4, tw = (seen + 3) / 4, tiles = th * tw, ld = tiles + 8
        let row = width + 2, plane = height * row + 3
        let x = (0..<(channels * plane)).map { _ in rng.nextGaussian() + 1000 }
        let x2 = (0..<(channels * plane)).map { _ in rng.nextGaussian() - 1000 }
        let m = (0..<(36 * channels * ld)).map { _ in rng.nextGaussian() }
        let outRow = 4 * tw + 1, outPlane = 4 * th * outRow + 2
        // The scratch starts `shift` floats into a buffer (every alignment over the widths: the
        // AVX2 transforms align their plane inside it) with NaNs on both sides that must stay.
        let shift = width % 8, size = fk_winograd4_scratch(channels, th, tw)
        func run(_ path: fk_path) -> (v: [Float], g: [Float], t: [Float]) {
            var scratch = [Float](repeating: .nan, count: size + 16)
            var v = [Float](repeating: .nan, count: 36 * channels * ld), g = v
            var t = [Float](repeating: .nan, count: channels * outPlane)
            x2.withUnsafeBufferPointer { second in
                scratch.withUnsafeMutableBufferPointer { sb in
                    let x2 = paired ? second.baseAddress : nil, work = sb.baseAddress! + shift
                    fk_winograd4_image(path, x, x2, plane, row, channels, height, width, th, tw, work, &v, ld, channels * ld)
                    fk_winograd4_gradient(path, x, x2, plane, row, channels, height, width, th, tw, work, &g, ld, channels * ld)
                }
            }
            let outside = scratch[..<shift] + scratch[(shift + size)...]
            #expect(outside.allSatisfy { $0.isNaN }, "scratch: nothing written outside its \(size) floats")
            fk_winograd4_output(path, m, ld, channels * ld, channels, th, tw, &t, outPlane, outRow, height, seen)
            return (v, g, t)
        }
        let a = run(FK_SCALAR), b = run(FK_AVX2), name = "\(channels)x\(height)x\(width)\(paired ? " paired" : "")"
        func slots(_ v: [Float]) -> [UInt32] {
            (0..<(36 * channels)).flatMap { r in (0..<tiles).map { v[r * ld + $0].bitPattern } }
        }
        for (kind, p, q) in [("image", a.v, b.v), ("gradient", a.g, b.g)] {
            #expect(!slots(p).contains(Float.nan.bitPattern) && slots(p) == slots(q), "\(kind), \(name)")
            let past = (0..<(36 * channels)).flatMap { r in (4..<8).map { q[r * ld + tiles + $0] } }
            let untouched = past.allSatisfy { $0.isNaN }
            #expect(untouched, "\(kind), \(name): nothing written 4 or more slots past the last tile")
        }
        let written = (0..<channels).flatMap { c in
            (0..<height).flatMap { r in (0..<seen).map { c * outPlane + r * outRow + $0 } }
        }
        #expect(written.allSatisfy { !a.t[$0].isNaN && a.t[$0].bitPattern == b.t[$0].bitPattern }, "output, \(name)")
        #expect(b.t.filter { !$0.isNaN }.count == written.count, "output: nothing written outside the tiles")
    }

    /// The transforms against their definitions (float64, on the portable path): B^T d B of the
    /// zero-padded 6x6 patches, A dY A^T of the 4x4 blocks (zeros past the map), A^T m A.
    @Test func portableTransformsMatchTheirDefinitions() {
        let bt: [[Double]] = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
                              [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
        let at: [[Double]] = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
        var rng = RandomSource(seed: 4)
        let height = 9, width = 14, th = 3, tw = 4, tiles = th * tw
        let x = (0..<(height * width)).map { _ in rng.nextGaussian() }
        func pixel(_ y: Int, _ c: Int) -> Double { y >= 0 && y < height && c >= 0 && c < width ? Double(x[y * width + c]) : 0 }
        var scratch = [Float](repeating: 0, count: fk_winograd4_scratch(1, th, tw))
        var v = [Float](repeating: 0, count: 36 * tiles), g = v
        fk_winograd4_image(FK_SCALAR, x, nil, height * width, width, 1, height, width, th, tw, &scratch, &v, tiles, tiles)
        fk_winograd4_gradient(FK_SCALAR, x, nil, height * width, width, 1, height, width, th, tw, &scratch, &g, tiles, tiles)
        var t = [Float](repeating: 0, count: 16 * tiles)
        fk_winograd4_output(FK_SCALAR, v, tiles, tiles, 1, th, tw, &t, 16 * tiles, 4 * tw, 4 * th, 4 * tw)
        var far = 0
        for ty in 0..<th {
            for tx in 0..<tw {
                let tile = ty * tw + tx
                for i in 0..<6 {
                    for j in 0..<6 {
                        var want = 0.0, wantG = 0.0
                        for k in 0..<6 { for l in 0..<6 { want += bt[i][k] * pixel(4 * ty - 1 + k, 4 * tx - 1 + l) * bt[j][l] } }
                        for k in 0..<4 { for l in 0..<4 { wantG += at[k][i] * pixel(4 * ty + k, 4 * tx + l) * at[l][j] } }
                        if abs(Double(v[(i * 6 + j) * tiles + tile]) - want) > 1e-4 * max(1, abs(want)) { far += 1 }
                        if abs(Double(g[(i * 6 + j) * tiles + tile]) - wantG) > 1e-4 * max(1, abs(wantG)) { far += 1 }
                    }
                }
                for r in 0..<4 {
                    for c in 0..<4 {
                        var want = 0.0
                        for k in 0..<6 { for l in 0..<6 { want += at[r][k] * Double(v[(k * 6 + l) * tiles + tile]) * at[c][l] } }
                        if abs(Double(t[(4 * ty + r) * 4 * tw + 4 * tx + c]) - want) > 1e-4 * max(1, abs(want)) { far += 1 }
                    }
                }
            }
        }
        #expect(far == 0, "\(far) transformed values differ from their definitions")
    }
}

/// Which Winograd layout a convolution takes by its map (`FATNN_WINOGRAD_TILE=2`: F(2x2) for all).
@Test(arguments: [(28, 28, 4, 1), (14, 14, 4, 1), (13, 30, 4, 1), (7, 7, 4, 2), (8, 8, 4, 2), (12, 12, 4, 2), (6, 9, 4, 2),
                  (6, 20, 2, 1), (5, 6, 2, 1), (7, 5, 2, 1)])
func winogradLayoutFollowsTheMap(height: Int, width: Int, tile: Int, pack: Int) {
    var rng = RandomSource(seed: 2)
    let conv = Conv2d(name: "c", input: ImageShape(channels: 8, height: height, width: width), outChannels: 8, kernel: 3, padding: 1,
                      rng: &rng)
    let want = FloatConvolution.winogradLargeTiles ? (tile, pack) : (2, 1)
    #expect(conv.winogradLayout == want, "\(height)x\(width)")
}
