/// 2-D convolution without bias over NCHW batches (each row of the batch matrix is one CHW image),
/// computed as im2col + one SGEMM over the whole batch.
///
/// Forward: `col` (K x N·P, K = Cin·kh·kw, P = output pixels) is built from the batch, then
/// `Y = W · col` (Cout x N·P) and permuted to NCHW. Backward: `dW = dY · colᵀ`,
/// `dcol = Wᵀ · dY`, then col2im adds `dcol` back onto the input positions.
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
    private var col = Matrix(rows: 0, cols: 0)
    private var batch = 0

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

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        precondition(x.cols == input.count, "Conv2d expects \(input) = \(input.count) values per image, got \(x.cols)")
        let n = x.rows, p = output.plane
        var c = Matrix(rows: k, cols: n * p)
        im2col(x, into: &c)
        var y = Matrix(rows: output.channels, cols: n * p)
        BLAS.gemm(Matrix(rows: output.channels, cols: k, data: weight.value), c, into: &y)
        if training { col = c; batch = n }
        return Self.channelsToBatch(y, batch: n, channels: output.channels, plane: p)
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        let n = batch, p = output.plane
        let dy = Self.batchToChannels(gradOutput, channels: output.channels, plane: p)
        var dw = Matrix(rows: output.channels, cols: k, data: weight.grad)
        BLAS.gemm(dy, col, transB: true, into: &dw, beta: 1)
        weight.grad = dw.data
        var dcol = Matrix(rows: k, cols: n * p)
        BLAS.gemm(Matrix(rows: output.channels, cols: k, data: weight.value), transA: true, dy, into: &dcol)
        var dx = Matrix(rows: n, cols: input.count)
        col2im(dcol, into: &dx)
        return dx
    }

    /// Row `(c, ky, kx)`, column `(n, oy, ox)` of the column matrix: the input value the kernel
    /// tap sees, or 0 in the padding.
    func im2col(_ x: Matrix, into c: inout Matrix) {
        let n = x.rows, oh = output.height, ow = output.width, ih = input.height, iw = input.width
        let p = output.plane, np = n * p, kk = kernel * kernel, img = input.count, s = stride, pad = padding
        x.data.withUnsafeBufferPointer { src in
            c.data.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<input.channels {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let row = (ch * kk + ky * kernel + kx) * np
                            for b in 0..<n {
                                let base = b * img + ch * ih * iw
                                var o = row + b * p
                                for oy in 0..<oh {
                                    let iy = oy * s - pad + ky
                                    if iy < 0 || iy >= ih {
                                        for _ in 0..<ow { dst[o] = 0; o += 1 }
                                        continue
                                    }
                                    let line = base + iy * iw
                                    for ox in 0..<ow {
                                        let ix = ox * s - pad + kx
                                        dst[o] = (ix >= 0 && ix < iw) ? src[line + ix] : 0
                                        o += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds every column entry back onto the input position it came from.
    func col2im(_ c: Matrix, into dx: inout Matrix) {
        let n = dx.rows, oh = output.height, ow = output.width, ih = input.height, iw = input.width
        let p = output.plane, np = n * p, kk = kernel * kernel, img = input.count, s = stride, pad = padding
        c.data.withUnsafeBufferPointer { src in
            dx.data.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<input.channels {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let row = (ch * kk + ky * kernel + kx) * np
                            for b in 0..<n {
                                let base = b * img + ch * ih * iw
                                var o = row + b * p
                                for oy in 0..<oh {
                                    let iy = oy * s - pad + ky
                                    if iy < 0 || iy >= ih { o += ow; continue }
                                    let line = base + iy * iw
                                    for ox in 0..<ow {
                                        let ix = ox * s - pad + kx
                                        if ix >= 0 && ix < iw { dst[line + ix] += src[o] }
                                        o += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `C x (N·P)` → `N x (C·P)`.
    static func channelsToBatch(_ y: Matrix, batch n: Int, channels: Int, plane p: Int) -> Matrix {
        var out = Matrix(rows: n, cols: channels * p)
        y.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    for b in 0..<n {
                        let s = c * n * p + b * p, d = b * channels * p + c * p
                        for i in 0..<p { dst[d + i] = src[s + i] }
                    }
                }
            }
        }
        return out
    }

    /// `N x (C·P)` → `C x (N·P)`.
    static func batchToChannels(_ x: Matrix, channels: Int, plane p: Int) -> Matrix {
        let n = x.rows
        var out = Matrix(rows: channels, cols: n * p)
        x.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    for b in 0..<n {
                        let d = c * n * p + b * p, s = b * channels * p + c * p
                        for i in 0..<p { dst[d + i] = src[s + i] }
                    }
                }
            }
        }
        return out
    }
}
