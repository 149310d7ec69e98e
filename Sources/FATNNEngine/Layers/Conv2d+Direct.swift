import CFloatKernels
import Foundation

/// ``Conv2d``'s direct path (`CFloatKernels`): the same wide-row sums as the tap path
/// (`Conv2d+Taps.swift`), computed by one C kernel that reads the padded image in place and keeps
/// every tap's contribution in registers, instead of one OpenBLAS SGEMM per tap (which copies
/// both operands into its own layout on every call and writes the output once per tap). Used
/// wherever the CPU has a vector path (AVX2 + FMA) (``FloatConvolution/defaultPath``); measured
/// against the tap path in docs/BENCHMARKS.md (`fatnn bench conv`).
///
/// - forward: `Y = Σ_t W_t · X_t` in one pass (`fk_conv_taps`);
/// - weight gradient: `dW_t = dY · X_tᵀ` (`fk_conv_weight_grad`), in the tap layout;
/// - input gradient: for stride 1, `dX = Σ_t W_tᵀ · dY_{-t}` gathered in one pass from a copy of
///   `dY` with zero margins (`fk_conv_taps` with the offsets negated); for larger strides, per
///   tap, `dX_t += W_tᵀ · dY` onto the padded gradient buffer shifted by the tap's offset.
public enum FloatConvolution {
    /// How a ``Conv2d`` computes its products.
    public enum Path: String, Sendable, CaseIterable {
        /// One OpenBLAS SGEMM per kernel tap (`Conv2d+Taps.swift`).
        case openblas
        /// The direct C kernels (`CFloatKernels`), on the CPU's best kernel path.
        case direct
        /// The direct kernels, with Winograd for the forward, input-gradient and weight-gradient
        /// products of 3x3 stride-1 convolutions with padding 1 (`Conv2d+Winograd.swift`).
        case winograd
    }

    /// The C kernels' path on this CPU: AVX2 where there is AVX2 + FMA, else the portable one;
    /// `FATNN_FLOAT_PATH=scalar|avx2|avx512` forces a supported one.
    static let kernelPath: fk_path = fk_best_path()

    /// The tap kernel's path (`fk_conv_taps`): AVX-512 on AMD CPUs that have it, else
    /// ``kernelPath`` (the same bits either way; `FATNN_FLOAT_PATH` forces both).
    static let tapPath: fk_path = fk_best_taps_path()

    /// A C kernel path's name: `avx512`, `avx2` or `scalar`.
    static func name(_ path: fk_path) -> String {
        switch path {
        case FK_AVX512: return "avx512"
        case FK_AVX2: return "avx2"
        default: return "scalar"
        }
    }

    /// The kernel path's name, followed by the tap kernel's (`avx2, taps avx512`) where they differ.
    public static var kernelName: String {
        name(kernelPath) + (tapPath == kernelPath ? "" : ", taps \(name(tapPath))")
    }

    /// The float engine's path in one word, for tables: `openblas` where convolutions default to
    /// OpenBLAS (no AVX2 + FMA, or `FATNN_FLOAT_PATH=scalar`), else the kernel path's name,
    /// `+avx512` where the tap kernel takes AVX-512 (`avx2+avx512`).
    public static var pathLabel: String {
        if defaultPath == .openblas { return "openblas" }
        return name(kernelPath) + (tapPath == kernelPath ? "" : "+\(name(tapPath))")
    }

    /// The path new convolutions take: direct where the CPU has a vector kernel path (AVX2 +
    /// FMA), else OpenBLAS (arm64, old x86); ``path(kernel:stride:padding:input:output:)``
    /// refines it per shape. `FATNN_CONV=openblas|direct|winograd` forces one for every shape.
    public static let defaultPath: Path = forcedPath ?? (kernelPath == FK_SCALAR ? .openblas : .direct)

    /// Whether convolutions on the Winograd path take their weight gradient there too
    /// (``Conv2d/winogradWeightGradient``); `FATNN_WINOGRAD_WEIGHTS=direct` says no, for
    /// same-binary comparisons.
    static let winogradWeightGradients = ProcessInfo.processInfo.environment["FATNN_WINOGRAD_WEIGHTS"] != "direct"

    /// Whether Winograd convolutions on large maps take F(4x4, 3x3) (``Conv2d/winogradTile``);
    /// `FATNN_WINOGRAD_TILE=2` says no, for same-binary comparisons.
    static let winogradLargeTiles = ProcessInfo.processInfo.environment["FATNN_WINOGRAD_TILE"] != "2"

    private static let forcedPath: Path? = ProcessInfo.processInfo.environment["FATNN_CONV"].flatMap(Path.init(rawValue:))

    /// The path a new convolution of this shape takes: ``defaultPath``, or Winograd for the 3x3
    /// stride-1 shapes where it measured faster than the direct kernels in `fatnn bench conv`:
    /// at least 8 input channels and maps of at least 7x7 (resnet20's 28x28 to 7x7 and 32x32 to
    /// 8x8 maps, cnn-s's: forward 1.2-1.8x, backward 1.2-1.6x; docs/BENCHMARKS.md). Smaller maps
    /// (rows of fewer than 4 tiles, portable transforms) were not measured; 1-3 input channels
    /// measured slower (backward 0.5-0.7x).
    static func path(kernel: Int, stride: Int, padding: Int, input: ImageShape, output: ImageShape) -> Path {
        guard forcedPath == nil, defaultPath == .direct else { return defaultPath }
        let winograd = kernel == 3 && stride == 1 && padding == 1 && input.channels >= 8 && output.height >= 7 && output.width >= 7
        return winograd ? .winograd : .direct
    }
}

extension Conv2d {
    /// Offsets of the taps in the image the kernels read: the wide-row offsets, or `[0]` for a
    /// pointwise convolution (the image itself).
    var directOffsets: [Int] {
        guard let wide = wide else { return [0] }
        return (0..<(kernel * kernel)).map { wide.offset($0) }
    }

    /// The weights packed for the forward kernel (rows = output channels, depth = input channels).
    func packedForward() -> [Float] {
        let taps = kernel * kernel, cin = input.channels, cout = output.channels
        var packed = [Float](repeating: 0, count: taps * cout * cin)
        weight.value.withUnsafeBufferPointer { w in
            packed.withUnsafeMutableBufferPointer { p in
                fk_pack_rows(w.baseAddress!, cout, cin, taps, 1, cin * taps, taps, p.baseAddress!)
            }
        }
        return packed
    }

    /// Whether the input gradient is gathered (every tap summed in registers, from a margined
    /// copy of the output gradient) rather than scattered tap by tap: for stride 1. There, a
    /// position that a tap's shift moves off a row lands in a garbage column (zero gradient),
    /// because a wide row has at least `W + pad` columns, so the gather adds exactly the
    /// scatter's terms.
    var gathersInputGradient: Bool { wide != nil && stride == 1 }

    /// The weights transposed (rows = input channels, depth = output channels) and packed for
    /// the input-gradient kernel: all taps in one pack for the gather, else one pack of
    /// `cin·cout` floats per tap.
    func packedBackward() -> [Float] {
        let taps = kernel * kernel, cin = input.channels, cout = output.channels
        var packed = [Float](repeating: 0, count: taps * cout * cin)
        weight.value.withUnsafeBufferPointer { w in
            packed.withUnsafeMutableBufferPointer { p in
                if gathersInputGradient {
                    fk_pack_rows(w.baseAddress!, cin, cout, taps, 1, taps, cin * taps, p.baseAddress!)
                    return
                }
                for t in 0..<taps {
                    fk_pack_rows(w.baseAddress! + t, cin, cout, 1, 0, taps, cin * taps, p.baseAddress! + t * cout * cin)
                }
            }
        }
        return packed
    }

    /// Forward for one chunk of images on the direct kernels; `P` is ``packedForward()``.
    func directForward(_ images: Range<Int>, _ X: UnsafePointer<Float>, _ P: UnsafePointer<Float>,
                       _ Y: UnsafeMutablePointer<Float>, _ epilogue: Epilogue?) {
        let cin = input.channels, cout = output.channels, taps = kernel * kernel
        let offsets = directOffsets
        guard let wide = wide else {
            let p = output.plane
            for b in images {
                let y = Y + b * output.count
                check(fk_conv_taps(FloatConvolution.tapPath, X + b * input.count, p, cin, offsets, 1, P, cout, y, p, p, 0))
                epilogue?.apply(inPlace: y, channels: cout, plane: p)
            }
            return
        }
        let n = wide.wideCount
        let padded = wide.allocatePadded(fill: padValue), yw = UnsafeMutablePointer<Float>.allocate(capacity: cout * n)
        defer { padded.deallocate(); yw.deallocate() }
        for b in images {
            wide.pad(X + b * input.count, into: padded)
            check(fk_conv_taps(FloatConvolution.tapPath, padded, wide.plane, cin, offsets, taps, P, cout, yw, n, n, 0))
            wide.narrow(yw, into: Y + b * output.count, channels: cout, epilogue: epilogue)
        }
    }

    /// Backward for one chunk of images on the direct kernels: adds this chunk's `dW` (tap
    /// layout) onto `dw` and writes the images' input gradients when ``needsInputGradient``;
    /// `PT` is ``packedBackward()``. With wide rows, `gradient` writes each image's output
    /// gradient into them (copied, or computed there from a BatchNorm's sums). With `winograd`,
    /// the input gradient runs on Winograd products and `PT` is ``winogradBackwardWeights()``; with
    /// ``winogradWeightGradient``, so does the weight gradient (added onto `dw` at the end).
    func directBackward(_ images: Range<Int>, _ X: UnsafePointer<Float>, _ PT: UnsafePointer<Float>,
                        _ gradient: OutputGradientRows, _ DX: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>,
                        winograd: Bool = false) {
        let cin = input.channels, cout = output.channels, taps = kernel * kernel, path = FloatConvolution.kernelPath
        let offsets = directOffsets, zero = [0]
        guard let wide = wide else {
            // Pointwise: the kernels read the dense gradient in place (a BatchNorm gradient was
            // materialized by the caller: ``fusesBatchNormGradient`` is false here).
            guard let G = gradient.dense else { preconditionFailure("Conv2d: a pointwise direct backward needs a dense gradient") }
            let p = output.plane, group = Self.weightGradientGroup(positions: p)
            for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: group) {
                let count = min(group, images.upperBound - start)
                check(fk_conv_weight_grad(path, X + start * input.count, p, cin, offsets, 1, G + start * output.count, p, cout, dw, p,
                                          count, input.count, output.count))
            }
            guard needsInputGradient else { return }
            for b in images {
                check(fk_conv_taps(FloatConvolution.tapPath, G + b * output.count, p, cout, zero, 1, PT, cin, DX + b * input.count, p, p, 0))
            }
            return
        }
        // The output gradient's channels `channelStride` apart with `margin` zeros before each:
        // the gather reads up to the largest tap offset before and after a channel's wide rows.
        let gather = gathersInputGradient, backOffsets = gather ? offsets.map { -$0 } : zero
        let n = wide.wideCount, margin = gather ? offsets[taps - 1] : 0, channelStride = n + margin
        // Small maps sum the weight gradient of `group` images per register block.
        let group = Self.weightGradientGroup(positions: n), paddedSize = wide.paddedCount, gradSize = margin + cout * channelStride
        // The weight gradient on Winograd (which reads the image itself), or on the direct kernel
        // from a padded copy of each image.
        var weights = winogradWeightGradient
            ? WinogradWeightGradient(self, plane: input.plane, row: input.width, gradientPlane: channelStride, gradientRow: wide.paddedWidth)
            : nil
        let paddedCount = weights == nil ? group * paddedSize : 0
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedCount)
        padded.initialize(repeating: padValue, count: paddedCount)
        let gradPadded = winograd ? nil : wide.allocatePadded()  // the direct input gradient's buffer
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: group * gradSize)
        buffer.initialize(repeating: 0, count: group * gradSize)  // margins and garbage columns stay zero
        let run = winograd ? winogradRun(backward: true) : nil
        defer { padded.deallocate(); gradPadded?.deallocate(); buffer.deallocate(); run?.deallocate(); weights?.deallocate() }
        // Winograd input gradients: images transformed into the run's slots (two a slot where it
        // packs two, never across chunks: the gradient buffer is reused), multiplied per full set.
        var slotImages: [Int] = [], pendingStart = images.lowerBound
        func flush() {
            guard let run, !slotImages.isEmpty else { return }
            winogradInputGradients(slotImages, PT, into: DX + pendingStart * input.count, run: run)
            pendingStart += slotImages.reduce(0, +)
            slotImages.removeAll(keepingCapacity: true)
        }
        // The gather computes the padded rows that hold the image (the others are never read).
        let first = wide.padding * wide.paddedWidth, rows = wide.height * wide.paddedWidth
        for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: group) {
            let count = min(group, images.upperBound - start)
            for i in 0..<count {
                let x = X + (start + i) * input.count, dyw = buffer + i * gradSize + margin
                gradient.write(image: start + i, into: dyw, channelStride: channelStride, rowStride: wide.paddedWidth)
                if weights == nil {
                    wide.pad(x, into: padded + i * paddedSize)
                } else {
                    weights?.add(x, gradient: dyw)
                }
            }
            weights?.endGradients()
            if weights == nil {
                check(fk_conv_weight_grad(path, padded, wide.plane, cin, offsets, taps, buffer + margin, channelStride, cout, dw, n,
                                          count, paddedSize, gradSize))
            }
            guard needsInputGradient else { continue }
            if let run {
                var i = 0
                while i < count {
                    let two = run.pack == 2 && i + 1 < count
                    run.transform(slotImages.count, buffer + i * gradSize + margin, two ? buffer + (i + 1) * gradSize + margin : nil,
                                  plane: channelStride, row: wide.paddedWidth)
                    slotImages.append(two ? 2 : 1)
                    i += two ? 2 : 1
                    if slotImages.count * run.pack >= run.group { flush() }
                }
                continue
            }
            for i in 0..<count {
                let dyw = buffer + i * gradSize + margin
                guard let gradPadded else { continue }  // nil only with Winograd
                if gather {
                    check(fk_conv_taps(FloatConvolution.tapPath, dyw + first, channelStride, cout, backOffsets, taps, PT, cin, gradPadded + first,
                                       wide.plane, rows, 0))
                } else {
                    gradPadded.update(repeating: 0, count: paddedSize)
                    for t in 0..<taps {
                        check(fk_conv_taps(FloatConvolution.tapPath, dyw, channelStride, cout, zero, 1, PT + t * cout * cin, cin, gradPadded + offsets[t],
                                           wide.plane, n, 1))
                    }
                }
                wide.unpad(gradPadded, into: DX + (start + i) * input.count)
            }
        }
        flush()
        weights?.finish(into: dw)
    }

    /// Images whose weight gradients one kernel call sums: enough for ~256 positions per register
    /// block (a block's horizontal sum then costs little next to its multiply-adds), at most 8 (the
    /// group's images stay in cache across blocks).
    static func weightGradientGroup(positions: Int) -> Int { min(8, max(1, 256 / max(positions, 1))) }

    /// The kernels refuse only sizes this layer never passes (it built them itself).
    private func check(_ status: Int32) {
        precondition(status == 0, "CFloatKernels refused the sizes of \(input) -> \(output)")
    }
}
