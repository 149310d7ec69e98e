import CTernaryKernels

/// A quantized convolution on packed operands: integer activation codes in, the exact Int32
/// accumulator `z = Σ a·w` out (`FATNN.md` §1, §4), then, where the training-time layer scales its
/// output, the same float multiply per output channel (``scales``).
///
/// The kernel kind (``PackedWeights/kind``) fixes the code sets: `fatnn` and `tnn4` ternary x
/// ternary, `fatnn-a2` 2-bit x ternary, `2bit-signed` 2-bit x signed 2-bit, `binary` signs.
/// Lanes are ordered `(ky, kx, c)`, channels innermost: the codes of one input pixel are one run of
/// `Cin` lanes, and an output pixel's window is `kh·kw` such runs. Spatially padded pixels hold
/// the code of a zero input (0, or +1 for binary), so FATNN's `Σw` covers the whole window.
public struct PackedConv: Sendable {
    public let input: ImageShape
    public let output: ImageShape
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    /// Weight planes, one row per output channel, `kernel²·Cin` lanes.
    public let weights: PackedWeights
    /// The training-time layer's output scale per channel (``QuantizedConv2d/quantizedWeights(training:)``),
    /// or nil where its output is the accumulator itself.
    public let scales: [Float]?
    /// ``PackedWeights/dotFromRaw`` of the weights, computed once.
    let dot: (offsets: [Int32]?, negate: Bool)

    /// Packs weight codes laid out as the engine's conv weights, `Cout x (Cin·k·k)`, index
    /// `(c·k + ky)·k + kx`, for the kernel `kind` (codes in its ``PackedKernel/Kind/weightCodes``).
    public init(input: ImageShape, outChannels: Int, kernel: Int, stride: Int, padding: Int, weightCodes: [Int8],
                kind: PackedKernel.Kind = .fatnn, scales: [Float]? = nil) {
        let cin = input.channels, kk = kernel * kernel
        precondition(weightCodes.count == outChannels * cin * kk,
                     "PackedConv: \(weightCodes.count) weight codes for \(outChannels) x \(cin * kk)")
        precondition(scales.map { $0.count == outChannels } ?? true, "PackedConv: one scale per output channel")
        self.input = input
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.scales = scales
        output = ImageShape(channels: outChannels, height: (input.height + 2 * padding - kernel) / stride + 1,
                            width: (input.width + 2 * padding - kernel) / stride + 1)
        weights = PackedWeights(kind: kind, rows: outChannels, bits: kk * cin) { m, lane in
            let tap = lane / cin, c = lane % cin
            return weightCodes[m * cin * kk + c * kk + tap]
        }
        dot = weights.dotFromRaw
    }

    /// A conv over weight planes packed earlier (`(ky, kx, c)` lanes, as this type packs them).
    public init(input: ImageShape, kernel: Int, stride: Int, padding: Int, weights: PackedWeights, scales: [Float]? = nil) {
        precondition(weights.bits == kernel * kernel * input.channels)
        self.input = input
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.scales = scales
        output = ImageShape(channels: weights.rows, height: (input.height + 2 * padding - kernel) / stride + 1,
                            width: (input.width + 2 * padding - kernel) / stride + 1)
        self.weights = weights
        dot = weights.dotFromRaw
    }

    /// Per-channel offsets with `z = raw + offset` (`Σw` for fatnn, 0 where the raw output is `z`),
    /// or nil where `z` is not the raw output plus a constant (fatnn-a2).
    var additiveOffsets: [Int32]? {
        let (offsets, negate) = dot
        if negate { return nil }
        return offsets ?? [Int32](repeating: 0, count: weights.rows)
    }

    /// The raw output in the form `z = raw + offsets` the float tails take: as it is, or, for a
    /// kernel whose `z` is `offset − raw` (fatnn-a2), the dot products themselves with offsets 0.
    func additive(_ raw: [Int32]) -> (raw: [Int32], offsets: [Int32]) {
        if let offsets = additiveOffsets { return (raw, offsets) }
        let (offsets, _) = dot, columns = raw.count / max(1, output.channels)
        var z = raw
        if let offsets {
            for m in 0..<output.channels {
                let o = offsets[m]
                for j in (m * columns)..<((m + 1) * columns) { z[j] = o &- raw[j] }
            }
        }
        return (z, [Int32](repeating: 0, count: output.channels))
    }

    /// Packs the windows of every output pixel of `images` images whose codes are `codes`
    /// (NCHW, one `UInt8` per value: the code's two's-complement byte): `images · H'·W'` columns,
    /// through ``PackedRuns`` and the `path`'s window packing.
    public func packWindows(_ codes: [UInt8], images: Int, path: PackedKernel.Path = .best) -> PackedActivations {
        packWindows(PackedRuns(codes: codes, shape: input, images: images, padding: padding, kind: weights.kind), path: path)
    }

    /// The raw kernel output for `images` images: row-major `Cout x (images·H'·W')` (see
    /// ``PackedKernel/multiplyRaw(_:_:path:threads:)``; ``PackedWeights/dotFromRaw`` gives `z`).
    public func accumulate(_ codes: [UInt8], images: Int, path: PackedKernel.Path = .best) -> [Int32] {
        PackedKernel.multiplyRaw(weights, packWindows(codes, images: images, path: path), path: path)
    }

    /// The training-time layer's output, NCHW per image, from the raw accumulators of
    /// ``accumulate(_:images:path:)``: `Float(z)` (exact: `|z|` is far below 2^24), times the
    /// channel's scale where there is one, the same single float multiply as the layer.
    public func floats(raw: [Int32], images: Int) -> Matrix {
        let cout = output.channels, p = output.plane, columns = images * p
        let (offsets, negate) = dot
        let zero = [Int32](repeating: 0, count: cout), sums = offsets ?? zero, sign: Int32 = negate ? -1 : 1
        let scales = self.scales
        precondition(raw.count == cout * columns)
        return raw.withUnsafeBufferPointer { r in
            Matrix(rows: images, cols: cout * p) { y in
                let src = r.baseAddress!, dst = y.baseAddress!
                // Images split over the engine's threads (each value is its own computation).
                Parallel.chunks(images) { _, chunk in for img in chunk {
                    for m in 0..<cout {
                        let s = sums[m], a = src + (m * columns + img * p), b = dst + (img * cout + m) * p
                        if let scales {
                            let c = scales[m]
                            for j in 0..<p { b[j] = Float(s &+ sign &* a[j]) * c }
                        } else {
                            for j in 0..<p { b[j] = Float(s &+ sign &* a[j]) }
                        }
                    }
                } }
            }
        }
    }
}
