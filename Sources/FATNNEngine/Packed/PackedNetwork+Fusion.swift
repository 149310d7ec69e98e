import CTernaryKernels

/// The float tails of residual blocks (`normJoin`, ``PackedNetwork/Op/normJoin``) and the
/// program passes that fuse steps of a compiled packed network.
extension PackedNetwork {
    /// `relu?(BN(z) + residual)` with `z` the accumulators of `conv` (raw kernel output plus `Σw`);
    /// without `residual`, `BN(z)` alone (`relu` must be false then). `tk_norm_join` does the
    /// engine's float operations in its order, so the result equals the separate layers'.
    static func normJoin(raw accumulators: [Int32], _ conv: PackedConv, _ bn: BatchNorm, residual: Matrix?, relu: Bool, images: Int,
                         path: PackedKernel.Path) -> Matrix {
        let cout = conv.output.channels, p = conv.output.plane, columns = images * p
        let (raw, sums) = conv.additive(accumulators)
        precondition(raw.count == cout * columns && (residual.map { $0.rows == images && $0.cols == cout * p } ?? !relu))
        let mean = bn.runningMean.value, inv = bn.inverseStd(bn.runningVar.value), g = bn.gamma.value, b = bn.beta.value
        let none = [Float]()
        return (conv.scales ?? none).withUnsafeBufferPointer { cb in
            raw.withUnsafeBufferPointer { rb in
            (residual?.data ?? none).withUnsafeBufferPointer { sb in
                Matrix(rows: images, cols: cout * p) { y in
                    // (An empty array's buffer may still have a base address: test `residual` itself.)
                    let src = UncheckedPointer(rb.baseAddress!), res = UncheckedPointer(residual == nil ? nil : sb.baseAddress)
                    let dst = UncheckedPointer(y.baseAddress!), scales = UncheckedPointer(conv.scales == nil ? nil : cb.baseAddress)
                    Parallel.chunks(images) { _, range in
                        let rc = tk_norm_join(path.c, src.pointer, columns, range.lowerBound, range.upperBound, cout, p, sums, scales.pointer,
                                              mean, inv, g, b, res.pointer, relu ? 1 : 0, dst.pointer)
                        precondition(rc == 0, "tk_norm_join rejected its arguments")
                    }
                }
            }
            }
        }
    }

    /// ``normJoin(raw:_:_:residual:relu:images:path:)`` whose output is also quantized by each of
    /// `quantizers` into runs padded for its conv: one pass on AVX-512 or AVX2 with at most 64
    /// channels, else the two steps one after the other (the same values either way).
    static func normJoin(raw: [Int32], _ conv: PackedConv, _ bn: BatchNorm, residual: Matrix, relu: Bool, images: Int,
                         path: PackedKernel.Path, quantizers: [(FATNNActivationQuantizer, padding: Int)]) -> (Matrix, [PackedRuns]) {
        let shape = conv.output
        guard path == .avx512 || path == .avx2, path.isSupported, shape.channels <= 64, quantizers.count <= 2, images > 0 else {
            let y = normJoin(raw: raw, conv, bn, residual: residual, relu: relu, images: images, path: path)
            return (y, quantizers.map { PackedRuns.quantize(y, with: $0.0, padding: $0.padding, path: path) })
        }
        precondition(raw.count == shape.count * images && residual.rows == images && residual.cols == shape.count)
        precondition(quantizers.allSatisfy { $0.0.steps == 2 && $0.0.shape == shape }, "normJoin: quantizers of another shape")
        let mean = bn.runningMean.value, inv = bn.inverseStd(bn.runningVar.value), g = bn.gamma.value, b = bn.beta.value
        guard conv.scales == nil, let sums = conv.additiveOffsets else { preconditionFailure("normJoin: a conv with scales or a negated raw output") }
        let columns = images * shape.plane
        // Every quantizer's ramp table (o0, a0, o1, a1, per channel or one each) in one array.
        var ramps: [Float] = [], starts: [Int] = [], groups: [Int] = []
        for q in quantizers {
            let table = q.0.ternaryRampTable()
            starts.append(ramps.count)
            groups.append(table.count / 4)
            ramps += table
        }
        var y = Matrix(rows: 0, cols: 0)
        let runs = PackedRuns.together(shape: shape, images: images, paddings: quantizers.map(\.padding)) { grids in
            ramps.withUnsafeBufferPointer { rp in
                raw.withUnsafeBufferPointer { rb in
                    residual.data.withUnsafeBufferPointer { sb in
                        y = Matrix(rows: images, cols: shape.count) { yb in
                            let base = rp.baseAddress!
                            let targets = quantizers.indices.map { i in
                                let o = base + starts[i], n = groups[i]
                                return tk_quant_target(o0: o, a0: o + n, o1: o + 2 * n, a1: o + 3 * n,
                                                       per_channel: quantizers[i].0.perChannel ? 1 : 0, pad: quantizers[i].padding,
                                                       m: grids[i].0, s: grids[i].1)
                            }
                            let src = UncheckedPointer(rb.baseAddress!), res = UncheckedPointer(sb.baseAddress!)
                            let dst = UncheckedPointer(yb.baseAddress!)
                            targets.withUnsafeBufferPointer { tb in
                                let tp = UncheckedPointer(tb.baseAddress!)
                                Parallel.chunks(images) { _, range in
                                    let rc = tk_norm_join_runs(path.c, src.pointer, columns, range.lowerBound, range.upperBound,
                                                               shape.channels, shape.height, shape.width, sums, mean, inv, g, b,
                                                               res.pointer, relu ? 1 : 0, dst.pointer, tp.pointer, tb.count)
                                    precondition(rc == 0, "tk_norm_join_runs rejected its arguments")
                                }
                            }
                        }
                    }
                }
            }
        }
        return (y, runs)
    }

    /// Where a residual block ending in ``Op/normJoin`` is followed by one whose main path (and
    /// shortcut) starts by quantizing its float input, the first block quantizes its output for
    /// them in the same pass and they take those runs.
    static func fuseBlockInputs(_ ops: [Op]) -> [Op] {
        var ops = ops
        for i in ops.indices.dropLast() {
            guard case .residual(var main, let shortcut, let relu) = ops[i], case .normJoin(let c, let bn)? = main.last, c.scales == nil,
                  case .residual(var main2, var shortcut2, let relu2) = ops[i + 1],
                  case .quantize(let q0, _, let kind, let pad)? = main2.first, let q = fusable(q0, kind) else { continue }
            var targets = [(q, padding: pad)]
            main2[0] = .takeRuns(0)
            if var s = shortcut2, case .quantize(let q1, _, let kind2, let pad2)? = s.first, let q2 = fusable(q1, kind2) {
                targets.append((q2, padding: pad2))
                s[0] = .takeRuns(1)
                shortcut2 = s
            }
            main[main.count - 1] = .normJoinQuantize(c, bn, targets: targets)
            ops[i] = .residual(main: main, shortcut: shortcut, relu: relu)
            ops[i + 1] = .residual(main: main2, shortcut: shortcut2, relu: relu2)
        }
        return ops
    }

    /// `dequantize → BatchNorm [→ ReLU] → quantize` (a conv feeding the next inside a block, where
    /// no thresholds were folded: the 2-bit, binary and scaled kinds) as one ``Op/normQuantize``.
    static func fuseNormQuantize(_ ops: [Op]) -> [Op] {
        var out: [Op] = [], i = 0
        while i < ops.count {
            if case .dequantize(let c) = ops[i], i + 2 < ops.count, case .layer(let l) = ops[i + 1], let bn = l as? BatchNorm,
               bn.features == c.output.channels, bn.spatial == c.output.plane {
                var j = i + 2, relu = false
                if case .layer(let r) = ops[j], r is ReLU, j + 1 < ops.count { relu = true; j += 1 }
                if case .quantize(let q, let shape, let kind, let padding) = ops[j], shape == c.output,
                   let twin = CodeQuantizer(q, kind: kind) {
                    out.append(.normQuantize(c, bn, relu: relu, twin, kind: kind, padding: padding))
                    i = j + 1
                    continue
                }
            }
            out.append(ops[i])
            i += 1
        }
        return out
    }

    /// FATNN's ternary quantizer, whose quantizing pass can join the float tail (which writes fatnn
    /// runs; a tnn4 conv converts them), or nil.
    private static func fusable(_ q: any ActivationQuantizer, _ kind: PackedKernel.Kind) -> FATNNActivationQuantizer? {
        guard let f = q as? FATNNActivationQuantizer, f.steps == 2, kind == .fatnn || kind == .tnn4 else { return nil }
        return f
    }

    /// Runs of consecutive float layers as one `Sequential`, whose eval forward fuses
    /// `Conv2d → BatchNorm → ReLU` (bit-identical to the separate layers).
    static func groupFloatLayers(_ ops: [Op]) -> [Op] {
        var out: [Op] = [], run: [any Layer] = []
        func flush() {
            if run.count == 1 { out.append(.layer(run[0])) } else if run.count > 1 { out.append(.floats(Sequential(run))) }
            run = []
        }
        for op in ops {
            if case .layer(let l) = op { run.append(l) } else { flush(); out.append(op) }
        }
        flush()
        return out
    }
}
