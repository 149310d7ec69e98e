/// 2-D convolution without bias over NCHW batches (each row of the batch matrix is one CHW image),
/// computed per image as im2col + SGEMM, images split over the engine's threads.
///
/// For one image, `col` (K x P, K = Cin·k·k, P = output pixels) holds the kernel taps, and
/// `Y = W · col` (Cout x P) is already that image's CHW output. Backward rebuilds `col` (cheaper
/// than keeping it for the whole batch), accumulates `dW += dY · colᵀ` per thread, and adds
/// `Wᵀ · dY` back onto the input positions (col2im). Per-thread weight gradients are summed in
/// thread order, so results depend only on the thread count.
public final class Conv2d: Layer {
    /// Input image shape.
    public let input: ImageShape
    /// Output image shape.
    public let output: ImageShape
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    /// Weight, `Cout x (Cin·k·k)` row-major (PyTorch's `Cout x Cin x k x k`).
    public let weight: Parameter
    /// False for a network's first layer, whose input gradient nobody uses: backward then skips
    /// it and returns zeros.
    public var needsInputGradient = true
    private var cachedInput = Matrix(rows: 0, cols: 0)

    /// A square-kernel convolution with PyTorch's default (Kaiming-uniform) initialization.
    public init(name: String, input: ImageShape, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                rng: inout RandomSource) {
        precondition(kernel >= 1 && stride >= 1 && padding >= 0)
        self.input = input
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        let oh = (input.height + 2 * padding - kernel) / stride + 1
        let ow = (input.width + 2 * padding - kernel) / stride + 1
        precondition(oh >= 1 && ow >= 1, "Conv2d \(name): kernel \(kernel) does not fit input \(input)")
        output = ImageShape(channels: outChannels, height: oh, width: ow)
        let fanIn = input.channels * kernel * kernel
        let bound = 1 / Float(fanIn).squareRoot()
        var w = [Float](repeating: 0, count: outChannels * fanIn)
        for i in w.indices { w[i] = (rng.nextUnitFloat() * 2 - 1) * bound }
        weight = Parameter(name: "\(name).weight", value: w, decays: true)
    }

    public var parameters: [Parameter] { [weight] }

    private var k: Int { input.channels * kernel * kernel }
    /// A 1x1 stride-1 unpadded convolution needs no column matrix: the image is its own `col`.
    private var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        precondition(x.cols == input.count, "Conv2d expects \(input) = \(input.count) values per image, got \(x.cols)")
        let k = self.k, p = output.plane, cout = output.channels, inCount = input.count, outCount = output.count
        var y = Matrix(rows: x.rows, cols: outCount)
        x.data.withUnsafeBufferPointer { xb in
            weight.value.withUnsafeBufferPointer { wb in
                y.data.withUnsafeMutableBufferPointer { yb in
                    let (X, W, Y) = (xb.baseAddress!, wb.baseAddress!, yb.baseAddress!)
                    Parallel.chunks(x.rows) { _, images in
                        let pointwise = isPointwise
                        let col = UnsafeMutablePointer<Float>.allocate(capacity: pointwise ? 1 : k * p)
                        defer { col.deallocate() }
                        for b in images {
                            let src: UnsafePointer<Float> = X + b * inCount
                            var taps: UnsafePointer<Float> = src
                            if !pointwise {
                                im2col(src, col)
                                taps = UnsafePointer(col)
                            }
                            BLAS.sgemm(m: cout, n: p, k: k, a: W, lda: k, b: taps, ldb: p, c: Y + b * outCount, ldc: p)
                        }
                    }
                }
            }
        }
        if training { cachedInput = x }
        return y
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        let x = cachedInput
        precondition(gradOutput.rows == x.rows && gradOutput.cols == output.count, "Conv2d backward: gradient shape does not match the last training forward")
        let k = self.k, p = output.plane, cout = output.channels, inCount = input.count, outCount = output.count
        let threads = Parallel.chunkCount(x.rows)
        var partials = [Float](repeating: 0, count: threads * cout * k)
        var dx = Matrix(rows: x.rows, cols: inCount)
        x.data.withUnsafeBufferPointer { xb in
            weight.value.withUnsafeBufferPointer { wb in
                gradOutput.data.withUnsafeBufferPointer { gb in
                    dx.data.withUnsafeMutableBufferPointer { db in
                        partials.withUnsafeMutableBufferPointer { pb in
                            let (X, W, G, DX, P) = (xb.baseAddress!, wb.baseAddress!, gb.baseAddress!, db.baseAddress!, pb.baseAddress!)
                            Parallel.chunks(x.rows, into: threads) { chunk, images in
                                let col = UnsafeMutablePointer<Float>.allocate(capacity: k * p)
                                defer { col.deallocate() }
                                let dw = P + chunk * cout * k
                                for b in images {
                                    let src = X + b * inCount, dy = G + b * outCount
                                    if isPointwise {
                                        BLAS.sgemm(transB: true, m: cout, n: k, k: p, a: dy, lda: p, b: src, ldb: p, beta: 1, c: dw, ldc: k)
                                        if !needsInputGradient { continue }
                                        BLAS.sgemm(transA: true, m: k, n: p, k: cout, a: W, lda: k, b: dy, ldb: p, c: DX + b * inCount, ldc: p)
                                        continue
                                    }
                                    im2col(src, col)
                                    BLAS.sgemm(transB: true, m: cout, n: k, k: p, a: dy, lda: p, b: col, ldb: p, beta: 1, c: dw, ldc: k)
                                    if !needsInputGradient { continue }
                                    BLAS.sgemm(transA: true, m: k, n: p, k: cout, a: W, lda: k, b: dy, ldb: p, c: col, ldc: p)
                                    col2im(col, DX + b * inCount)
                                }
                            }
                        }
                    }
                }
            }
        }
        weight.grad.withUnsafeMutableBufferPointer { g in
            for t in 0..<threads {
                let o = t * cout * k
                for i in 0..<(cout * k) { g[i] += partials[o + i] }
            }
        }
        return dx
    }

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
                            o.update(repeating: 0, count: ow)
                        } else {
                            let line = plane + iy * iw + (kx - pad)
                            if lo > 0 { o.update(repeating: 0, count: lo) }
                            if s == 1 {
                                (o + lo).update(from: line + lo, count: hi - lo)
                            } else {
                                for ox in lo..<hi { o[ox] = line[ox * s] }
                            }
                            if hi < ow { (o + hi).update(repeating: 0, count: ow - hi) }
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
                            let line = plane + iy * iw + (kx - pad)
                            for ox in lo..<hi { line[ox * s] += o[ox] }
                        }
                        o += ow
                    }
                }
            }
        }
    }
}
