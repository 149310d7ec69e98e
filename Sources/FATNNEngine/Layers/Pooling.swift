/// Max pooling with a square window and stride equal to the window (e.g. 2x2, stride 2), NCHW.
/// Gradient goes to the first maximum of each window.
public final class MaxPool2d: Layer {
    public let input: ImageShape
    public let output: ImageShape
    public let window: Int
    private var argmax: [Int32] = []

    /// A pooling layer; the input height and width are cut down to multiples of `window`.
    public init(input: ImageShape, window: Int = 2) {
        precondition(window >= 1 && input.height >= window && input.width >= window)
        self.input = input
        self.window = window
        output = ImageShape(channels: input.channels, height: input.height / window, width: input.width / window)
    }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        precondition(x.cols == input.count, "MaxPool2d expects \(input), got \(x.cols) values")
        let n = x.rows, planes = n * input.channels
        let ih = input.height, iw = input.width, oh = output.height, ow = output.width, w = window
        var arg = [Int32](unsafeUninitializedCapacity: training ? planes * oh * ow : 0) { _, count in count = training ? planes * oh * ow : 0 }  // every entry is written below
        let y = x.data.withUnsafeBufferPointer { src in
            arg.withUnsafeMutableBufferPointer { argBuffer in
                Matrix(rows: n, cols: output.count) { dst in
                    Parallel.chunks(planes) { _, chunk in
                        for pl in chunk {
                            let sb = pl * ih * iw, db = pl * oh * ow
                            if w == 2 {
                                // The common 2x2 window, unrolled: four loads, three compares.
                                for oy in 0..<oh {
                                    let r0 = sb + 2 * oy * iw, r1 = r0 + iw, o = db + oy * ow
                                    for ox in 0..<ow {
                                        var best = r0 + 2 * ox, v = src[best]
                                        if src[best + 1] > v { best += 1; v = src[best] }
                                        if src[r1 + 2 * ox] > v { best = r1 + 2 * ox; v = src[best] }
                                        if src[r1 + 2 * ox + 1] > v { best = r1 + 2 * ox + 1; v = src[best] }
                                        dst[o + ox] = v
                                        if training { argBuffer[o + ox] = Int32(best) }
                                    }
                                }
                                continue
                            }
                            for oy in 0..<oh {
                                for ox in 0..<ow {
                                    var best = sb + oy * w * iw + ox * w
                                    for dy in 0..<w {
                                        let line = sb + (oy * w + dy) * iw + ox * w
                                        for dx in 0..<w where src[line + dx] > src[best] { best = line + dx }
                                    }
                                    dst[db + oy * ow + ox] = src[best]
                                    if training { argBuffer[db + oy * ow + ox] = Int32(best) }
                                }
                            }
                        }
                    }
                }
            }
        }
        if training { argmax = arg }
        return y
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        var dx = Matrix(rows: gradOutput.rows, cols: input.count)
        for i in gradOutput.data.indices { dx.data[Int(argmax[i])] += gradOutput.data[i] }
        return dx
    }
}

/// Mean over each channel's pixels: `N x (C·H·W)` → `N x C`.
public final class GlobalAvgPool: Layer {
    public let input: ImageShape

    public init(input: ImageShape) { self.input = input }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        precondition(x.cols == input.count, "GlobalAvgPool expects \(input), got \(x.cols) values")
        let p = input.plane, c = input.channels
        var y = Matrix(rows: x.rows, cols: c)
        let scale = 1 / Float(p)
        for r in 0..<x.rows {
            for j in 0..<c {
                let o = (r * c + j) * p
                var s: Float = 0
                for q in 0..<p { s += x.data[o + q] }
                y.data[r * c + j] = s * scale
            }
        }
        return y
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        let p = input.plane, c = input.channels
        var dx = Matrix(rows: gradOutput.rows, cols: input.count)
        let scale = 1 / Float(p)
        for r in 0..<gradOutput.rows {
            for j in 0..<c {
                let g = gradOutput.data[r * c + j] * scale, o = (r * c + j) * p
                for q in 0..<p { dx.data[o + q] = g }
            }
        }
        return dx
    }
}
