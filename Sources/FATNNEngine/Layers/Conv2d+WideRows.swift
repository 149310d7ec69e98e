import CFloatKernels

/// The geometry of ``Conv2d``'s tap path: a zero-padded copy of the image and "wide" output rows,
/// so that what each kernel tap sees for the whole output is one strided matrix of the copy.
///
/// **Stride 1.** The padded copy has `H + 2·pad` rows of `Wp = W + pad` columns: each row starts
/// with `pad` zeros, which are also the right padding of the row above (top and bottom rows are
/// all zeros). The output is computed on rows of `Wp` columns instead of `OW`; the last `Wp - OW`
/// columns of every row are garbage and dropped. What tap `(c, ky, kx)` sees for the whole output
/// is then one contiguous run of `OH·Wp` values starting at `ky·Wp + kx`.
///
/// **Stride s > 1.** The fully padded image (`H + 2·pad` x `W + 2·pad`) is split into `s·s`
/// phases, phase `(py, px)` holding its pixels `(i·s + py, j·s + px)` on a grid of
/// `⌈(H + 2·pad)/s⌉ x ⌈(W + 2·pad)/s⌉`. Tap `(ky, kx)` only reads phase `(ky mod s, kx mod s)`,
/// at row and column offsets `ky/s` and `kx/s`: again one contiguous run per channel, over wide
/// rows of the phase width.
///
/// `Conv2d+Taps.swift` reads these runs in place. Backward feeds the garbage columns zero
/// gradients, so they contribute nothing.
struct WideRows {
    let channels: Int, kernel: Int, padding: Int, stride: Int
    let height: Int, width: Int  // input
    let outHeight: Int, outWidth: Int
    /// Width of a wide row (the padded width, or a phase's width), and values per channel plane
    /// (of a phase, for stride > 1).
    let paddedWidth: Int, plane: Int
    /// Columns of the wide output: `OH` rows of `paddedWidth`.
    let wideCount: Int

    init(input: ImageShape, output: ImageShape, kernel: Int, stride: Int = 1, padding: Int) {
        channels = input.channels
        self.kernel = kernel
        self.padding = padding
        self.stride = stride
        height = input.height
        width = input.width
        outHeight = output.height
        outWidth = output.width
        if stride == 1 {
            // Rows share their padding: the `pad` zeros that open a row are also the right padding
            // of the row before it, so a row needs `W + pad` columns, not `W + 2·pad` (fewer
            // garbage output columns: 7x8 instead of 7x9 for a 7x7 map).
            paddedWidth = Swift.max(input.width + padding, output.width)
            plane = (input.height + 2 * padding) * paddedWidth
        } else {
            let rows = (input.height + 2 * padding + stride - 1) / stride
            paddedWidth = (input.width + 2 * padding + stride - 1) / stride
            plane = rows * paddedWidth
        }
        wideCount = output.height * paddedWidth
    }

    /// Values of one phase (all of the copy for stride 1).
    private var phaseSize: Int { channels * plane }

    /// Size of a padded image buffer: the planes (of every phase) plus the `k - 1` values that the
    /// last tap reads past the end (into garbage columns).
    var paddedCount: Int { stride * stride * phaseSize + kernel - 1 }

    /// A padded-image buffer filled with `fill` (the conv's ``Conv2d/padValue``); ``pad(_:into:)``
    /// writes only its interior, so the border keeps that value across images.
    func allocatePadded(fill: Float = 0) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: paddedCount)
        p.initialize(repeating: fill, count: paddedCount)
        return p
    }

    /// For stride > 1: where each input row and column lands in the phase buffer. Pixel `(c, y, x)`
    /// is at `c·plane + rows[y] + columns[x]` (phase and position within it folded in).
    private var phaseOffsets: (rows: [Int], columns: [Int]) {
        let rows = (0..<height).map { y in
            let py = y + padding
            return (py % stride) * stride * phaseSize + (py / stride) * paddedWidth
        }
        let columns = (0..<width).map { x in
            let px = x + padding
            return (px % stride) * phaseSize + px / stride
        }
        return (rows, columns)
    }

    /// Copies a CHW image into the interior of a padded buffer.
    func pad(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        transfer(UnsafeMutablePointer(mutating: src), dst, intoBuffer: true)
    }

    /// Where tap `tap` (`ky·k + kx`) starts reading in the buffer (channel 0; channels are
    /// ``plane`` apart).
    func offset(_ tap: Int) -> Int {
        let ky = tap / kernel, kx = tap % kernel
        return ((ky % stride) * stride + kx % stride) * phaseSize + (ky / stride) * paddedWidth + kx / stride
    }

    /// Copies the interior of a padded gradient buffer to a CHW image.
    func unpad(_ padded: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        transfer(dst, UnsafeMutablePointer(mutating: padded), intoBuffer: false)
    }

    /// Moves a CHW image into the buffer's interior (`intoBuffer`) or back out of it (then
    /// `image` is written and `buffer` only read).
    private func transfer(_ image: UnsafeMutablePointer<Float>, _ buffer: UnsafeMutablePointer<Float>, intoBuffer: Bool) {
        guard stride > 1 else {
            let inside = buffer + padding * paddedWidth + padding, imagePlane = height * width
            if intoBuffer {
                fk_copy_rows(image, imagePlane, width, inside, plane, paddedWidth, channels, height, width)
            } else {
                fk_copy_rows(inside, plane, paddedWidth, image, imagePlane, width, channels, height, width)
            }
            return
        }
        let (rows, columns) = phaseOffsets
        fk_copy_indexed(image, buffer, channels, height, width, plane, rows, columns, intoBuffer ? 1 : 0)
    }

    /// Drops the garbage columns: wide `C x OH x Wp` rows to a CHW output, through `epilogue` if
    /// there is one.
    func narrow(_ wide: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, channels count: Int,
                epilogue: Conv2d.Epilogue? = nil) {
        Conv2d.Epilogue.write(epilogue, wide, plane: wideCount, row: paddedWidth, into: dst, plane: outHeight * outWidth, row: outWidth,
                              channels: count, rows: outHeight, width: outWidth)
    }

    /// The inverse of ``narrow(_:into:channels:epilogue:)`` for gradients: CHW into wide rows
    /// whose garbage columns must already be zero (they are never written), channels
    /// `channelStride` apart (``wideCount`` unless the caller keeps margins between them).
    func widen(_ src: UnsafePointer<Float>, into wide: UnsafeMutablePointer<Float>, channels count: Int, channelStride: Int? = nil) {
        fk_copy_rows(src, outHeight * outWidth, outWidth, wide, channelStride ?? wideCount, paddedWidth, count, outHeight, outWidth)
    }
}
