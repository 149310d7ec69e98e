import CTernaryKernels

/// A packed conv's input as bit planes, pixel by pixel: per pixel, the `Cin` lanes of its codes in
/// the activation encoding of a kernel ``kind`` (for ``PackedKernel/Kind/fatnn`` `Mx = [a ≠ 1]` and
/// `Sx = [a = 0]`, `FATNN.md` §4), channels innermost, in a grid that already holds the conv's
/// padding (border pixels hold the code of a zero input: 0, so `Mx = Sx = 1` for fatnn, and all
/// zero bits for every other kind, binary's +1 included).
///
/// The packed network writes runs straight from floats (the conv's own activation quantizer) or
/// from the previous conv's accumulators (folded thresholds), and gathers a conv's window columns
/// from them without bounds checks: no byte per code, no second pass over the codes.
public struct PackedRuns: Sendable {
    /// The unpadded input of one image.
    public let shape: ImageShape
    /// Border pixels on every side (the consuming conv's padding).
    public let padding: Int
    public let images: Int
    /// The kernel kind whose activation encoding the planes hold.
    public let kind: PackedKernel.Kind
    /// The two planes' runs (for fatnn `Mx` and `Sx`; binary's second plane is all zeros and
    /// unused), `images x gridHeight x gridWidth x words` each.
    var mask: [UInt64]
    var sign: [UInt64]

    /// Words per pixel run: `⌈Cin / 64⌉`.
    public var words: Int { (shape.channels + 63) / 64 }
    var gridHeight: Int { shape.height + 2 * padding }
    var gridWidth: Int { shape.width + 2 * padding }

    /// Runs of `images` images, filled by `fill(mask, sign, imageRange)` for disjoint ranges of
    /// images on the engine's threads (each call writes every word of its images), or, when not
    /// `parallel` and there is any image, by one call for all images.
    init(shape: ImageShape, padding: Int, images: Int, parallel: Bool = true, kind: PackedKernel.Kind = .fatnn,
         fill: (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>, Range<Int>) -> Void) {
        precondition(padding >= 0 && images >= 0)
        self.kind = kind
        self.shape = shape
        self.padding = padding
        self.images = images
        let count = images * (shape.height + 2 * padding) * (shape.width + 2 * padding) * ((shape.channels + 63) / 64)
        var s = [UInt64]()
        mask = [UInt64](unsafeUninitializedCapacity: count) { m, written in
            s = [UInt64](unsafeUninitializedCapacity: count) { sg, sWritten in
                let pm = UncheckedPointer(m.baseAddress!), ps = UncheckedPointer(sg.baseAddress!)
                if count > 0 {
                    if parallel {
                        Parallel.chunks(images) { _, range in fill(pm.pointer, ps.pointer, range) }
                    } else {
                        fill(pm.pointer, ps.pointer, 0..<images)
                    }
                }
                sWritten = count
            }
            written = count
        }
        sign = s
    }

    /// Runs of `codes` (NCHW, one byte per code: its two's-complement byte, in the activation
    /// codes of `kind`) of `images` images of `shape`, in `kind`'s encoding.
    public init(codes: [UInt8], shape: ImageShape, images: Int, padding: Int, kind: PackedKernel.Kind = .fatnn) {
        precondition(codes.count == images * shape.count, "PackedRuns: \(codes.count) codes for \(images) images of \(shape)")
        self = codes.withUnsafeBufferPointer { c in
            let pc = UncheckedPointer(c.baseAddress)
            return PackedRuns(shape: shape, padding: padding, images: images, kind: kind) { m, s, range in
                let rc = pc.pointer.map { p in
                    p.withMemoryRebound(to: Int8.self, capacity: codes.count) {
                        tk_runs_encode(kind.c, $0, range.lowerBound, range.upperBound, shape.channels, shape.height, shape.width,
                                       padding, m, s)
                    }
                } ?? -1
                precondition(rc == 0, "PackedRuns: a code outside \(kind)'s activation codes, or a bad shape")
            }
        }
    }

    /// Runs of `x` (`images x C·H·W`, NCHW) under the activation quantizer `q`, in the encoding of
    /// the kernel `kind` (`x`'s images of `shape`), with exactly the codes
    /// `q.codeForward(x, training: false)` gives: for FATNN's ternary quantizer (into fatnn or
    /// tnn4 runs) by ``quantize(_:with:padding:path:)``, for LSQ, binary and 2-bit FATNN
    /// quantizers by their C twins (`tk_runs_quantize_codes`), for any other through its codes.
    public static func encode(_ x: Matrix, with q: any ActivationQuantizer, shape: ImageShape, kind: PackedKernel.Kind,
                              padding: Int, path: PackedKernel.Path = .best) -> PackedRuns {
        precondition(x.cols == shape.count, "PackedRuns: \(x.cols) values per image for \(shape)")
        if let f = q as? FATNNActivationQuantizer, f.steps == 2, kind == .fatnn || kind == .tnn4 {
            return quantize(x, with: f, padding: padding, path: path)
        }
        // The quantizer's own arithmetic in C, straight into runs; else through its code bytes.
        guard let twin = CodeQuantizer(q, kind: kind) else {
            let codes = q.codeForward(x, training: false).data.map { UInt8(bitPattern: Int8(clamping: Int($0))) }
            return PackedRuns(codes: codes, shape: shape, images: x.rows, padding: padding, kind: kind)
        }
        return twin.with { spec in
            x.data.withUnsafeBufferPointer { xs in
                let px = UncheckedPointer(xs.baseAddress!)
                return PackedRuns(shape: shape, padding: padding, images: x.rows, kind: kind) { m, s, range in
                    var local = spec
                    let rc = tk_runs_quantize_codes(path.c, kind.c, &local, px.pointer, range.lowerBound, range.upperBound, shape.channels,
                                                    shape.height, shape.width, padding, m, s)
                    precondition(rc == 0, "tk_runs_quantize_codes rejected its arguments")
                }
            }
        }
    }

    /// Runs of the next conv's input (padded by `padding`, in `kind`'s encoding) from `conv`'s raw
    /// accumulators through its output scales, `bn` (eval), a ReLU if `relu`, and the quantizer `q`,
    /// in one pass (`tk_norm_quantize_runs`): the same codes as those layers one after the other.
    static func normQuantize(raw: [Int32], _ conv: PackedConv, _ bn: BatchNorm, relu: Bool, _ twin: CodeQuantizer, kind: PackedKernel.Kind,
                             padding: Int, images: Int, path: PackedKernel.Path) -> PackedRuns {
        let shape = conv.output, columns = images * shape.plane, (offsets, negate) = conv.dot
        precondition(raw.count == shape.channels * columns, "normQuantize: \(raw.count) accumulators for \(images) images of \(shape)")
        // BatchNorm's mean, 1/σ, γ and β, one channel-long block each.
        let bnParams = bn.runningMean.value + bn.inverseStd(bn.runningVar.value) + bn.gamma.value + bn.beta.value, n = shape.channels
        let none = [Int32](), noScales = [Float]()
        return twin.with { spec in
            raw.withUnsafeBufferPointer { rb in
                (offsets ?? none).withUnsafeBufferPointer { ob in
                    (conv.scales ?? noScales).withUnsafeBufferPointer { cb in
                        bnParams.withUnsafeBufferPointer { pb in
                            let p = pb.baseAddress!
                            let norm = UncheckedPointer(tk_norm_source(raw: rb.baseAddress, columns: columns,
                                                                       offsets: offsets == nil ? nil : ob.baseAddress, negate: negate ? 1 : 0,
                                                                       scales: conv.scales == nil ? nil : cb.baseAddress, mean: p, inv: p + n,
                                                                       gamma: p + 2 * n, beta: p + 3 * n, relu: relu ? 1 : 0))
                            return PackedRuns(shape: shape, padding: padding, images: images, kind: kind) { m, s, range in
                                var local = spec, source = norm.pointer
                                let rc = tk_norm_quantize_runs(path.c, kind.c, &local, &source, range.lowerBound, range.upperBound,
                                                               shape.channels, shape.height, shape.width, padding, m, s)
                                precondition(rc == 0, "tk_norm_quantize_runs rejected its arguments")
                            }
                        }
                    }
                }
            }
        }
    }

    /// These FATNN runs (`Mx`, `Sx`) as the thermometer runs (`A0 = [a ≥ 1]`, `A1 = [a ≥ 2]`) of
    /// the 4-popcount ternary kernel.
    public func thermometer() -> PackedRuns {
        precondition(kind == .fatnn, "PackedRuns: thermometer runs come from fatnn runs, not \(kind)")
        let perImage = gridHeight * gridWidth * words
        return mask.withUnsafeBufferPointer { m in
            sign.withUnsafeBufferPointer { s in
                let pm = UncheckedPointer(m.baseAddress), ps = UncheckedPointer(s.baseAddress)
                return PackedRuns(shape: shape, padding: padding, images: images, kind: .tnn4) { a0, a1, range in
                    let offset = range.lowerBound * perImage, pixels = range.count * gridHeight * gridWidth
                    let rc = tk_runs_thermometer(pm.pointer.map { $0 + offset }, ps.pointer.map { $0 + offset }, pixels, shape.channels,
                                                 a0 + offset, a1 + offset)
                    precondition(rc == 0, "tk_runs_thermometer rejected its arguments")
                }
            }
        }
    }


    /// Runs of `images` (at least one) images of `shape`, one per padding in `paddings`, filled
    /// together by a single `fill(grids)` call that gets every one's `(mask, sign)` planes and
    /// writes every word of them.
    static func together(shape: ImageShape, images: Int, paddings: [Int],
                         fill: ([(UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>)]) -> Void) -> [PackedRuns] {
        precondition(images > 0)
        func nest(_ i: Int, _ grids: [(UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>)]) -> [PackedRuns] {
            guard i < paddings.count else {
                fill(grids)
                return []
            }
            var inner: [PackedRuns] = []
            let runs = PackedRuns(shape: shape, padding: paddings[i], images: images, parallel: false) { m, s, _ in
                inner = nest(i + 1, grids + [(m, s)])
            }
            return [runs] + inner
        }
        return nest(0, [])
    }

    /// Runs of `x` (`images x C·H·W`, NCHW) under the ternary FATNN activation quantizer `q`, with
    /// exactly the codes `q.forward(x, training: false)` gives, on any kernel path.
    public static func quantize(_ x: Matrix, with q: FATNNActivationQuantizer, padding: Int,
                                path: PackedKernel.Path = .best) -> PackedRuns {
        precondition(path.isSupported, "PackedRuns: the \(path) path is not supported on this CPU")
        precondition(q.steps == 2, "PackedRuns: only ternary activation quantizers")
        precondition(x.cols == q.shape.count, "PackedRuns: \(x.cols) values per image for \(q.shape)")
        let table = q.ternaryRampTable(), n = table.count / 4
        let shape = q.shape
        return x.data.withUnsafeBufferPointer { xs in
            let px = UncheckedPointer(xs.baseAddress!)
            let o0 = Array(table[0..<n]), a0 = Array(table[n..<(2 * n)]), o1 = Array(table[(2 * n)..<(3 * n)]), a1 = Array(table[(3 * n)...])
            return PackedRuns(shape: shape, padding: padding, images: x.rows) { m, s, range in
                let rc = tk_runs_quantize(path.c, px.pointer, range.lowerBound, range.upperBound, shape.channels, shape.height, shape.width,
                                          padding, o0, a0, o1, a1, q.perChannel ? 1 : 0, m, s)
                precondition(rc == 0, "tk_runs_quantize rejected its arguments")
            }
        }
    }

    /// Runs of the codes that folded thresholds `t` give on raw accumulators `raw` (row-major
    /// `channels x (images·H·W)` of a conv with output `shape`).
    public static func threshold(raw: [Int32], _ t: FoldedThresholds, shape: ImageShape, images: Int, padding: Int,
                                 path: PackedKernel.Path = .best) -> PackedRuns {
        precondition(path.isSupported, "PackedRuns: the \(path) path is not supported on this CPU")
        precondition(t.channels == shape.channels && raw.count == shape.channels * images * shape.plane,
                     "PackedRuns: \(raw.count) accumulators for \(images) images of \(shape)")
        let columns = images * shape.plane
        return raw.withUnsafeBufferPointer { r in
            let pr = UncheckedPointer(r.baseAddress!)
            return PackedRuns(shape: shape, padding: padding, images: images) { m, s, range in
                let rc = tk_runs_threshold(path.c, pr.pointer, columns, range.lowerBound, range.upperBound, shape.channels, shape.height,
                                           shape.width, padding, t.direction, t.theta1, t.theta2, m, s)
                precondition(rc == 0, "tk_runs_threshold rejected its arguments")
            }
        }
    }

    /// The runs of the next conv (padded by `padding`) from `conv` over `windows` through folded
    /// thresholds `t`: the codes of ``threshold(raw:_:shape:images:padding:path:)`` on the
    /// kernel's output. On AVX-512 and AVX2 with at most 64 output channels the thresholds are the
    /// kernel's epilogue (no accumulators are stored); elsewhere the two steps run one after the other.
    public static func convolve(_ windows: PackedActivations, _ conv: PackedConv, thresholds t: FoldedThresholds, padding: Int,
                                path: PackedKernel.Path = .best) -> PackedRuns {
        let shape = conv.output, w = conv.weights
        precondition(windows.columns % shape.plane == 0 && t.channels == shape.channels)
        let images = windows.columns / shape.plane
        guard path == .avx512 || path == .avx2, path.isSupported, shape.channels <= 64, w.kind == .fatnn || w.kind == .tnn4 else {
            let raw = PackedKernel.multiplyRaw(w, windows, path: path)
            return threshold(raw: raw, t, shape: shape, images: images, padding: padding, path: path)
        }
        precondition(w.kind == windows.kind && w.bits == windows.bits)
        let blocks = windows.blocks
        return w.plane0.withUnsafeBufferPointer { w0 in
            w.plane1.withUnsafeBufferPointer { w1 in
                windows.plane0.withUnsafeBufferPointer { x0 in
                    windows.plane1.withUnsafeBufferPointer { x1 in
                        PackedRuns(shape: shape, padding: padding, images: images, parallel: false) { m, s, _ in
                            let pm = UncheckedPointer(m), ps = UncheckedPointer(s)
                            Parallel.chunks(images) { _, range in
                                let rc = tk_runs_border(pm.pointer, ps.pointer, range.lowerBound, range.upperBound, shape.channels,
                                                        shape.height, shape.width, padding)
                                precondition(rc == 0, "tk_runs_border rejected its arguments")
                            }
                            let pw0 = UncheckedPointer(w0.baseAddress!), pw1 = UncheckedPointer(w1.baseAddress!)
                            let px0 = UncheckedPointer(x0.baseAddress!), px1 = UncheckedPointer(x1.baseAddress!)
                            Parallel.chunks(blocks) { _, range in
                                let rc = tk_gemm_threshold(path.c, w.kind.c, pw0.pointer, pw1.pointer, px0.pointer, px1.pointer, w.rows,
                                                           windows.columns, w.words, range.lowerBound, range.upperBound,
                                                           t.direction, t.theta1, t.theta2, images, shape.height, shape.width,
                                                           padding, pm.pointer, ps.pointer)
                                precondition(rc == 0, "tk_gemm_threshold rejected its arguments")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The codes these runs hold (NCHW, one byte per code: its two's-complement byte, so binary's
    /// −1 is 255), without the padding.
    public func codes() -> [UInt8] {
        let count = images * shape.count
        return mask.withUnsafeBufferPointer { m in
            sign.withUnsafeBufferPointer { s in
                [UInt8](unsafeUninitializedCapacity: count) { out, written in
                    if count > 0 {
                        let rc = out.baseAddress!.withMemoryRebound(to: Int8.self, capacity: count) {
                            tk_runs_decode(kind.c, m.baseAddress!, s.baseAddress, 0, images, shape.channels, shape.height, shape.width,
                                           padding, $0)
                        }
                        precondition(rc == 0, "tk_runs_decode rejected its arguments")
                    }
                    written = count
                }
            }
        }
    }
}

extension PackedConv {
    /// The window columns of `runs` (this conv's input, padded by this conv's padding): the same
    /// planes as ``packWindows(_:images:)`` on the codes the runs hold. Column blocks are split
    /// over the engine's threads.
    public func packWindows(_ runs: PackedRuns, path: PackedKernel.Path = .best) -> PackedActivations {
        precondition(runs.shape == input && runs.padding == padding,
                     "packWindows: runs of \(runs.shape) padded by \(runs.padding) for a conv over \(input) padded by \(padding)")
        precondition(path.isSupported, "packWindows: the \(path) path is not supported on this CPU")
        let kind = weights.kind
        if runs.kind == .fatnn && kind == .tnn4 { return packWindows(runs.thermometer(), path: path) }
        precondition(runs.kind.activationEncoding == kind.activationEncoding, "packWindows: \(runs.kind) runs for a \(kind) conv")
        let columns = runs.images * output.plane, bits = kernel * kernel * input.channels
        let words = (bits + 63) / 64, blocks = (columns + PackedActivations.blockWidth - 1) / PackedActivations.blockWidth
        let packed = runs.mask.withUnsafeBufferPointer { m in
            runs.sign.withUnsafeBufferPointer { s in
                // tk_runs_pack writes every word of every block, so the planes start uninitialized.
                PackedActivations(kind: kind, columns: columns, bits: bits) { p0, p1 in
                    // One-plane kinds (binary) pack no second plane.
                    let pm = UncheckedPointer(m.baseAddress!), ps = UncheckedPointer(p1 == nil ? nil : s.baseAddress)
                    let d0 = UncheckedPointer(p0), d1 = UncheckedPointer(p1)
                    Parallel.chunks(blocks) { _, range in
                        let rc = tk_runs_pack(path.c, pm.pointer, ps.pointer, range.lowerBound, range.upperBound, runs.images,
                                              input.channels, runs.gridHeight, runs.gridWidth, kernel, stride,
                                              output.height, output.width, words, d0.pointer, d1.pointer)
                        precondition(rc == 0, "tk_runs_pack rejected its arguments")
                    }
                }
            }
        }
        return packed
    }
}

/// An activation quantizer's C twin (`tk_code_quantizer`): the LSQ, binary and FATNN ramp
/// quantizers with exactly their float arithmetic, for a kernel kind whose encoding holds their codes.
struct CodeQuantizer {
    let spec: tk_code_quantizer
    let offsets: [Float], alphas: [Float]

    init?(_ q: any ActivationQuantizer, kind: PackedKernel.Kind) {
        var o: [Float] = [], a: [Float] = []
        switch q {
        case let l as LSQActivationQuantizer where kind != .binary && (1...3).contains(l.levels - 1)
            && kind.activationCodes.contains(l.levels - 1):
            spec = tk_code_quantizer(type: TK_QUANT_LSQ, steps: 0, per_channel: 0, o: nil, a: nil, s: l.scale, qp: Float(l.levels - 1))
        case is BinaryActivationQuantizer where kind == .binary:
            spec = tk_code_quantizer(type: TK_QUANT_SIGN, steps: 0, per_channel: 0, o: nil, a: nil, s: 0, qp: 0)
        case let f as FATNNActivationQuantizer where kind != .binary && kind.activationCodes.contains(f.steps):
            (a, o) = f.ramps()
            spec = tk_code_quantizer(type: TK_QUANT_RAMPS, steps: f.steps, per_channel: f.perChannel ? 1 : 0, o: nil, a: nil, s: 0, qp: 0)
        default:
            return nil
        }
        offsets = o
        alphas = a
    }

    /// `body` with the spec's ramp pointers set (valid only inside it).
    func with<R>(_ body: (tk_code_quantizer) -> R) -> R {
        offsets.withUnsafeBufferPointer { ob in
            alphas.withUnsafeBufferPointer { ab in
                var s = spec
                s.o = ob.baseAddress
                s.a = ab.baseAddress
                return body(s)
            }
        }
    }
}
