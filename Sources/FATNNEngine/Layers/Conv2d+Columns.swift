/// The general path of ``Conv2d`` (any stride): im2col straight from the CHW image, with the
/// padding handled by bounds, and its adjoint.
extension Conv2d {
    /// Output columns `lo..<hi` whose input column `ox·stride - padding + kx` lies inside the image.
    private func validColumns(_ kx: Int) -> (Int, Int) {
        let ow = output.width, s = stride
        // Integer division truncates toward zero, so negative numerators are handled apart.
        let a: Int = padding - kx
        let first: Int = a <= 0 ? 0 : (a + s - 1) / s
        let b: Int = input.width - 1 + padding - kx
        let last: Int = b < 0 ? 0 : b / s + 1
        let lo: Int = Swift.min(ow, first)
        return (lo, Swift.max(lo, Swift.min(ow, last)))
    }

    /// Fills `col` (K x P) for one image: row `(c, ky, kx)`, column `(oy, ox)` is the input value
    /// that kernel tap sees, or 0 in the padding.
    func im2col(_ src: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>) {
        let oh = output.height, ow = output.width, ih = input.height, iw = input.width, s = stride, pad = padding
        var o = col
        for ch in 0..<input.channels {
            let plane = src + ch * ih * iw
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    // Output columns whose input column ix = ox·s - pad + kx lies inside [0, iw).
                    let (lo, hi) = validColumns(kx)
                    for oy in 0..<oh {
                        let iy = oy * s - pad + ky
                        if iy < 0 || iy >= ih {
                            for ox in 0..<ow { o[ox] = 0 }
                        } else {
                            // Plain loops, not memset/memcpy: rows are a few dozen values, where
                            // the calls cost more than the copying.
                            let line = plane + (iy * iw + kx - pad)
                            for ox in 0..<lo { o[ox] = 0 }
                            if s == 1 {
                                for ox in lo..<hi { o[ox] = line[ox] }
                            } else {
                                for ox in lo..<hi { o[ox] = line[ox * s] }
                            }
                            for ox in hi..<ow { o[ox] = 0 }
                        }
                        o += ow
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col` for one image: adds every column entry onto the input position it
    /// came from.
    func col2im(_ col: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        let oh = output.height, ow = output.width, ih = input.height, iw = input.width, s = stride, pad = padding
        var o = col
        for ch in 0..<input.channels {
            let plane = dst + ch * ih * iw
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let (lo, hi) = validColumns(kx)
                    for oy in 0..<oh {
                        let iy = oy * s - pad + ky
                        if iy >= 0 && iy < ih {
                            let line = plane + (iy * iw + kx - pad)
                            if s == 1 {
                                for ox in lo..<hi { line[ox] += o[ox] }
                            } else {
                                for ox in lo..<hi { line[ox * s] += o[ox] }
                            }
                        }
                        o += ow
                    }
                }
            }
        }
    }
}
