import CTernaryKernels

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
        weights = PackedWeights(kind: .fatnn, rows: outChannels, bits: kk * cin) { m, lane in
            let tap = lane / cin, c = lane % cin
            return weightCodes[m * cin * kk + c * kk + tap]
        }
    }

    /// A conv over weight planes packed earlier (`(ky, kx, c)` lanes, as this type packs them).
    public init(input: ImageShape, kernel: Int, stride: Int, padding: Int, weights: PackedWeights) {
        precondition(weights.kind == .fatnn && weights.bits == kernel * kernel * input.channels)
        self.input = input
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        output = ImageShape(channels: weights.rows, height: (input.height + 2 * padding - kernel) / stride + 1,
                            width: (input.width + 2 * padding - kernel) / stride + 1)
        self.weights = weights
    }

    /// Packs the windows of every output pixel of `images` images whose codes are `codes`
    /// (NCHW, one `UInt8` per value, each in `{0,1,2}`): `images · H'·W'` columns, through
    /// ``PackedRuns`` and the `path`'s window packing.
    public func packWindows(_ codes: [UInt8], images: Int, path: PackedKernel.Path = .best) -> PackedActivations {
        packWindows(PackedRuns(codes: codes, shape: input, images: images, padding: padding), path: path)
    }

    /// The raw kernel output for `images` images: row-major `Cout x (images·H'·W')`, each value
    /// `Σ (a − 1)·w = z − Σw` (add ``PackedWeights/rowSums`` for `z`).
    public func accumulate(_ codes: [UInt8], images: Int, path: PackedKernel.Path = .best) -> [Int32] {
        PackedKernel.multiplyRaw(weights, packWindows(codes, images: images, path: path), path: path)
    }

    /// `z` as the training-time convolution computes it on the codes, NCHW per image, as floats
    /// (exact: `|z| ≤ 2·Cin·k²`), from the raw accumulators of ``accumulate(_:images:path:)``.
    public func floats(raw: [Int32], images: Int) -> Matrix {
        let cout = output.channels, p = output.plane, columns = images * p, sums = weights.rowSums
        precondition(raw.count == cout * columns)
        return raw.withUnsafeBufferPointer { r in
            Matrix(rows: images, cols: cout * p) { y in
                let src = r.baseAddress!, dst = y.baseAddress!
                for img in 0..<images {
                    for m in 0..<cout {
                        let s = sums[m], a = src + (m * columns + img * p), b = dst + (img * cout + m) * p
                        for j in 0..<p { b[j] = Float(a[j] &+ s) }
                    }
                }
            }
        }
    }
}
