/// A FATNN ternary convolution on packed operands: integer activation codes `{0,1,2}` in,
/// the exact Int32 accumulator `z = Σ a·w` out (`FATNN.md` §1, §4).
///
/// Lanes are ordered `(ky, kx, c)`, channels innermost: the codes of one input pixel are one run of
/// `Cin` lanes, and an output pixel's window is `kh·kw` such runs. Spatially padded pixels are
/// written as code 0 (`Mx = 1, Sx = 1`), so `Σw` covers the whole window.
public struct PackedConv: Sendable {
    public let input: ImageShape
    public let output: ImageShape
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    /// Weight planes, one row per output channel, `kernel²·Cin` lanes.
    public let weights: PackedWeights
    /// Words of one input pixel's channel run.
    let pixelWords: Int

    /// Packs ternary weight codes `{-1,0,1}` laid out as the engine's conv weights:
    /// `Cout x (Cin·k·k)`, index `(c·k + ky)·k + kx`.
    public init(input: ImageShape, outChannels: Int, kernel: Int, stride: Int, padding: Int, weightCodes: [Int8]) {
        let cin = input.channels, kk = kernel * kernel
        precondition(weightCodes.count == outChannels * cin * kk,
                     "PackedConv: \(weightCodes.count) weight codes for \(outChannels) x \(cin * kk)")
        self.input = input
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        output = ImageShape(channels: outChannels, height: (input.height + 2 * padding - kernel) / stride + 1,
                            width: (input.width + 2 * padding - kernel) / stride + 1)
        pixelWords = (cin + 63) / 64
        weights = PackedWeights(kind: .fatnn, rows: outChannels, bits: kk * cin) { m, lane in
            let tap = lane / cin, c = lane % cin
            return weightCodes[m * cin * kk + c * kk + tap]
        }
    }

    /// Packs the windows of every output pixel of `images` images whose codes are `codes`
    /// (NCHW, one `UInt8` per value, each in `{0,1,2}`): `images · H'·W'` columns.
    public func packWindows(_ codes: [UInt8], images: Int) -> PackedActivations {
        let cin = input.channels, ih = input.height, iw = input.width, plane = ih * iw
        precondition(codes.count == images * cin * plane, "packWindows: \(codes.count) codes for \(images) images of \(input)")
        // Channel runs per input pixel (pixel-major), then one run per window tap.
        let pw = pixelWords
        var mx = [UInt64](repeating: 0, count: images * plane * pw)
        var sx = [UInt64](repeating: 0, count: images * plane * pw)
        codes.withUnsafeBufferPointer { src in
            mx.withUnsafeMutableBufferPointer { m in
                sx.withUnsafeMutableBufferPointer { s in
                    for img in 0..<images {
                        for c in 0..<cin {
                            let bit = UInt64(1) << UInt64(c & 63), word = c >> 6
                            let base = (img * cin + c) * plane
                            for p in 0..<plane {
                                let a = src[base + p]
                                let i = (img * plane + p) * pw + word
                                if a != 1 { m[i] |= bit }
                                if a == 0 { s[i] |= bit }
                            }
                        }
                    }
                }
            }
        }
        let oh = output.height, ow = output.width, kk = kernel
        var packed = PackedActivations(kind: .fatnn, columns: images * oh * ow, bits: kk * kk * cin)
        let words = packed.words
        // A padded pixel is code 0: every channel lane set in both planes.
        var pad = [UInt64](repeating: 0, count: pw)
        for c in 0..<cin { pad[c >> 6] |= UInt64(1) << UInt64(c & 63) }
        var colM = [UInt64](repeating: 0, count: words + 1), colS = colM
        for img in 0..<images {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for i in colM.indices { colM[i] = 0; colS[i] = 0 }
                    for ky in 0..<kk {
                        let iy = oy * stride - padding + ky
                        for kx in 0..<kk {
                            let ix = ox * stride - padding + kx
                            let inside = iy >= 0 && iy < ih && ix >= 0 && ix < iw
                            let src = (img * plane + iy * iw + ix) * pw
                            var lane = (ky * kk + kx) * cin
                            for w in 0..<pw {
                                let width = min(64, cin - w * 64)
                                let vm = inside ? mx[src + w] : pad[w], vs = inside ? sx[src + w] : pad[w]
                                let word = lane >> 6, off = UInt64(lane & 63)
                                colM[word] |= vm << off
                                colS[word] |= vs << off
                                if off != 0 && Int(off) + width > 64 {
                                    colM[word + 1] |= vm >> (64 - off)
                                    colS[word + 1] |= vs >> (64 - off)
                                }
                                lane += width
                            }
                        }
                    }
                    let n = (img * oh + oy) * ow + ox
                    for k in 0..<words {
                        let i = packed.index(word: k, column: n)
                        packed.plane0[i] = colM[k]
                        packed.plane1[i] = colS[k]
                    }
                }
            }
        }
        return packed
    }

    /// The raw kernel output for `images` images: row-major `Cout x (images·H'·W')`, each value
    /// `Σ (a − 1)·w = z − Σw` (add ``PackedWeights/rowSums`` for `z`).
    public func accumulate(_ codes: [UInt8], images: Int, path: PackedKernel.Path = .best) -> [Int32] {
        PackedKernel.multiplyRaw(weights, packWindows(codes, images: images), path: path)
    }

    /// `z` as the training-time convolution computes it on the codes, NCHW per image, as floats
    /// (exact: `|z| ≤ 2·Cin·k²`), from the raw accumulators of ``accumulate(_:images:path:)``.
    public func floats(raw: [Int32], images: Int) -> Matrix {
        let cout = output.channels, p = output.plane, columns = images * p, sums = weights.rowSums
        precondition(raw.count == cout * columns)
        return Matrix(rows: images, cols: cout * p) { y in
            for img in 0..<images {
                for m in 0..<cout {
                    let s = sums[m], src = m * columns + img * p, dst = (img * cout + m) * p
                    for j in 0..<p { y[dst + j] = Float(raw[src + j] &+ s) }
                }
            }
        }
    }
}
