/// The geometry of the stride-1 path of ``Conv2d``: a zero-padded copy of the image and "wide"
/// output rows.
///
/// The padded copy has `H + 2·pad` rows of `Wp = W + pad` columns: each row starts with `pad`
/// zeros, which are also the right padding of the row above (top and bottom rows are all zeros).
/// The output is computed on rows of `Wp` columns instead of `OW`: the last `Wp - OW` columns of
/// every row are garbage and dropped. In exchange, what kernel tap `(c, ky, kx)` sees for the
/// whole output is one contiguous run of `OH·Wp` values of the padded image starting at
/// `ky·Wp + kx` (`Conv2d+Taps.swift` reads it in place). Backward feeds the garbage columns zero
/// gradients, so they contribute nothing.
struct WideRows {
    let channels: Int, kernel: Int, padding: Int
    let height: Int, width: Int  // input
    let outHeight: Int, outWidth: Int
    /// Padded width and values per padded channel plane.
    let paddedWidth: Int, plane: Int
    /// Columns of the wide output: `OH·Wp`.
    let wideCount: Int

    init(input: ImageShape, output: ImageShape, kernel: Int, padding: Int) {
        channels = input.channels
        self.kernel = kernel
        self.padding = padding
        height = input.height
        width = input.width
        outHeight = output.height
        outWidth = output.width
        // Rows share their padding: the `pad` zeros that open a row are also the right padding of
        // the row before it, so a row needs `W + pad` columns, not `W + 2·pad` (fewer garbage
        // output columns: 7x8 instead of 7x9 for a 7x7 map).
        paddedWidth = Swift.max(input.width + padding, output.width)
        plane = (input.height + 2 * padding) * paddedWidth
        wideCount = output.height * paddedWidth
    }

    /// Size of a padded image buffer: the planes plus `k - 1` values that the last tap reads past
    /// the end (into garbage columns).
    var paddedCount: Int { channels * plane + kernel - 1 }

    /// A zeroed padded-image buffer; ``pad(_:into:)`` writes only its interior, so the border stays
    /// zero across images.
    func allocatePadded() -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: paddedCount)
        p.initialize(repeating: 0, count: paddedCount)
        return p
    }

    /// Copies a CHW image into the interior of a padded buffer.
    func pad(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            for y in 0..<height {
                let d: Int = c * plane + (y + padding) * paddedWidth + padding
                (dst + d).update(from: src + (c * height + y) * width, count: width)
            }
        }
    }

    /// Where tap `tap` (`ky·k + kx`) starts reading in a padded plane.
    func offset(_ tap: Int) -> Int { (tap / kernel) * paddedWidth + tap % kernel }

    /// Copies the interior of a padded gradient buffer to a CHW image.
    func unpad(_ padded: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            for y in 0..<height {
                let s: Int = c * plane + (y + padding) * paddedWidth + padding
                (dst + (c * height + y) * width).update(from: padded + s, count: width)
            }
        }
    }

    /// Drops the garbage columns: wide `C x OH x Wp` rows (channels `ld` apart) to a CHW output,
    /// through `epilogue` if there is one.
    func narrow(_ wide: UnsafePointer<Float>, ld: Int, into dst: UnsafeMutablePointer<Float>, channels count: Int,
                epilogue: Conv2d.Epilogue? = nil) {
        for c in 0..<count {
            for y in 0..<outHeight {
                let d = dst + (c * outHeight + y) * outWidth, s = wide + c * ld + y * paddedWidth
                if let epilogue { epilogue.apply(channel: c, s, d, outWidth) } else { d.update(from: s, count: outWidth) }
            }
        }
    }

    /// The inverse of ``narrow(_:ld:into:channels:)`` for gradients: CHW into wide rows (channels
    /// `ld` apart) whose garbage columns must already be zero (they are never written).
    func widen(_ src: UnsafePointer<Float>, into wide: UnsafeMutablePointer<Float>, ld: Int, channels count: Int) {
        for c in 0..<count {
            for y in 0..<outHeight {
                (wide + c * ld + y * paddedWidth).update(from: src + (c * outHeight + y) * outWidth, count: outWidth)
            }
        }
    }
}
