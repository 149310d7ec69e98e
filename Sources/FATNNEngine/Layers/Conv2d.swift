import Synchronization

/// 2-D convolution without bias over NCHW batches (each row of the batch matrix is one CHW image),
/// per image, images split over the engine's threads.
///
/// A convolution sums the kernel taps over a zero-padded copy of the image (split into phases for
/// strides above 1) with wide rows (``WideRows``), where each tap's input is a strided view of the
/// copy: no column matrix is built. The sums run on direct C kernels (`Conv2d+Direct.swift`) or
/// as one OpenBLAS SGEMM per tap (`Conv2d+Taps.swift`), per ``path``. 1x1 stride-1 unpadded
/// convolutions work on the image itself. Per-thread
/// weight gradients are summed in thread order, so results depend only on the thread count.
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
    /// The value of the pixels of the spatial padding (0 by default). A binary quantized conv pads
    /// its codes with +1, the code of a zero input (`FATNN.md` §3: pad before quantizing).
    public var padValue: Float = 0
    /// How the products are computed: the direct C kernels, Winograd on them, or OpenBLAS per
    /// tap (the same convolution, different rounding); set per shape at creation
    /// (``FloatConvolution/path(kernel:stride:padding:input:output:)``).
    public var path: FloatConvolution.Path
    /// The last training forward's input (backward's `X`); ``QuantizedConv2d`` sets it when it
    /// computes the forward products on the packed kernels instead.
    var cachedInput = Matrix(rows: 0, cols: 0)
    /// The tap path's geometry; nil for pointwise convolutions.
    let wide: WideRows?
    /// Whether the forward must give exact sums (a quantized convolution's inner one, whose sums
    /// of codes equal the packed kernels'): then it never takes Winograd's rounding, while its
    /// input gradient still may.
    var exactForward = false
    /// The Winograd path's transformed weights and the weights they came from
    /// (`Conv2d+Winograd.swift`).
    let winogradCache = Mutex<(source: [Float], packed: [Float])?>(nil)

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
        // Checked before dividing: with a stride above 1, Swift's truncating division would give
        // a size of 1 to a kernel up to `stride - 1` wider than the padded input (PyTorch rejects it).
        precondition(input.height + 2 * padding >= kernel && input.width + 2 * padding >= kernel && oh >= 1 && ow >= 1,
                     "Conv2d \(name): kernel \(kernel) does not fit input \(input) with padding \(padding)")
        output = ImageShape(channels: outChannels, height: oh, width: ow)
        let fanIn = input.channels * kernel * kernel
        let bound = 1 / Float(fanIn).squareRoot()
        var w = [Float](repeating: 0, count: outChannels * fanIn)
        for i in w.indices { w[i] = (rng.nextUnitFloat() * 2 - 1) * bound }
        weight = Parameter(name: "\(name).weight", value: w, decays: true)
        // A 1x1 stride-1 unpadded convolution needs no padded copy: the image is its own tap view.
        let pointwise = kernel == 1 && stride == 1 && padding == 0
        wide = pointwise ? nil : WideRows(input: input, output: output, kernel: kernel, stride: stride, padding: padding)
        path = FloatConvolution.path(kernel: kernel, stride: stride, padding: padding, input: input, output: output)
    }

    public var parameters: [Parameter] { [weight] }

    private var k: Int { input.channels * kernel * kernel }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        let y = forward(x, epilogue: nil)
        if training { cachedInput = x }
        return y
    }

    /// Forward without caching for backward, applying `epilogue` (if any) to the output as it is
    /// written.
    func forward(_ x: Matrix, epilogue: Epilogue?) -> Matrix {
        precondition(x.cols == input.count, "Conv2d expects \(input) = \(input.count) values per image, got \(x.cols)")
        var y = Matrix(rows: x.rows, cols: output.count, fill: { _ in })  // every path writes all of it
        let direct = path != .openblas, winograd = winogradApplies && !exactForward
        let taps = winograd ? winogradWeights() : direct ? packedForward() : tapWeights()
        x.data.withUnsafeBufferPointer { xb in
            taps.withUnsafeBufferPointer { tb in
                y.data.withUnsafeMutableBufferPointer { yb in
                    let (X, T, Y) = (xb.baseAddress!, tb.baseAddress!, yb.baseAddress!)
                    Parallel.chunks(x.rows) { _, images in
                        if winograd {
                            winogradForward(images, X, T, Y, epilogue)
                        } else if direct {
                            directForward(images, X, T, Y, epilogue)
                        } else {
                            forward(images, X, T, Y, epilogue)
                        }
                    }
                }
            }
        }
        return y
    }

    /// Forward for one chunk of images, on the calling thread; `T` is ``tapWeights()``.
    private func forward(_ images: Range<Int>, _ X: UnsafePointer<Float>, _ T: UnsafePointer<Float>, _ Y: UnsafeMutablePointer<Float>,
                         _ epilogue: Epilogue?) {
        if let wide { return tapForward(wide, images, X, T, Y, epilogue) }
        let k = self.k, p = output.plane, cout = output.channels
        for b in images {
            BLAS.sgemm(m: cout, n: p, k: k, a: T, lda: k, b: X + b * input.count, ldb: p, c: Y + b * output.count, ldc: p)
            epilogue?.apply(inPlace: Y + b * output.count, channels: cout, plane: p)
        }
    }

    public func backward(_ gradOutput: Matrix) -> Matrix { backward(.dense(gradOutput)) }

    /// Backward from a dense output gradient or from the following BatchNorm's input gradient
    /// (``OutputGradient``, fused into the direct path's copy where ``fusesBatchNormGradient``).
    func backward(_ gradient: OutputGradient) -> Matrix {
        if case .batchNorm(let g) = gradient, !fusesBatchNormGradient { return backward(.dense(g.materialize())) }
        let x = cachedInput
        let (rows, cols) = gradient.size
        precondition(rows == x.rows && cols == output.count, "Conv2d backward: gradient shape does not match the last training forward")
        let size = output.channels * k
        let threads = Parallel.chunkCount(x.rows)
        // Each chunk's weight gradient, in the tap layout.
        var partials = [Float](repeating: 0, count: threads * size)
        // Both paths write all of dx, unless it is not needed (then it stays zero).
        var dx = needsInputGradient ? Matrix(rows: x.rows, cols: input.count, fill: { _ in }) : Matrix(rows: x.rows, cols: input.count)
        // The input gradient's weights: Winograd's, the direct kernels' or OpenBLAS's per tap.
        let direct = path != .openblas, winograd = winogradApplies && needsInputGradient
        let taps = winograd ? winogradBackwardWeights() : direct ? packedBackward() : tapWeights()
        x.data.withUnsafeBufferPointer { xb in
            taps.withUnsafeBufferPointer { tb in
                withRows(gradient) { gradientRows in
                    dx.data.withUnsafeMutableBufferPointer { db in
                        partials.withUnsafeMutableBufferPointer { pb in
                            let (X, T, DX, P) = (xb.baseAddress!, tb.baseAddress!, db.baseAddress!, pb.baseAddress!)
                            Parallel.chunks(x.rows, into: threads) { chunk, images in
                                if direct {
                                    directBackward(images, X, T, gradientRows, DX, P + chunk * size, winograd: winograd)
                                } else if let G = gradientRows.dense {
                                    backward(images, X, T, G, DX, P + chunk * size)
                                }
                            }
                        }
                    }
                }
            }
        }
        partials.withUnsafeBufferPointer { pb in
            for t in 0..<threads { addTapGradient(pb.baseAddress! + t * size) }
        }
        return dx
    }

    /// Backward for one chunk of images: accumulates `dW` (tap layout) into `dw`, this chunk's
    /// own partial sum, and writes the images' input gradients when ``needsInputGradient``.
    private func backward(_ images: Range<Int>, _ X: UnsafePointer<Float>, _ T: UnsafePointer<Float>, _ G: UnsafePointer<Float>,
                          _ DX: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>) {
        if let wide { return tapBackward(wide, images, X, T, G, DX, dw) }
        let k = self.k, p = output.plane, cout = output.channels
        for b in images {
            let src = X + b * input.count, dy = G + b * output.count
            BLAS.sgemm(transB: true, m: cout, n: k, k: p, a: dy, lda: p, b: src, ldb: p, beta: 1, c: dw, ldc: k)
            if needsInputGradient {
                BLAS.sgemm(transA: true, m: k, n: p, k: cout, a: T, lda: k, b: dy, ldb: p, c: DX + b * input.count, ldc: p)
            }
        }
    }
}
