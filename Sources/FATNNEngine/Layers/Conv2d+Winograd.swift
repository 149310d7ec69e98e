import CFloatKernels

/// ``Conv2d``'s Winograd path for 3x3 stride-1 convolutions with padding 1: F(2x2, 3x3) (Lavin and
/// Gray, 2016; `Sources/CFloatKernels/winograd.c`). Each 2x2 block of outputs takes 16 products
/// per channel pair instead of 36: the input's 4x4 patches and the weights are transformed, the
/// 16 transformed positions are 16 matrix products over the channels (the direct tap kernel with
/// one tap), and the output transform sums them back. The sums differ from the direct path's by
/// rounding (float training is not bit-exact across paths; packed inference does not use it).
extension Conv2d {
    /// Whether ``FloatConvolution/Path/winograd`` computes this convolution's forward: 3x3,
    /// stride 1, padding 1, zero padding (a binary conv pads its codes with +1). New
    /// convolutions take it only where it is faster (``FloatConvolution/path(kernel:stride:padding:input:output:)``).
    var winogradApplies: Bool { path == .winograd && kernel == 3 && stride == 1 && padding == 1 && padValue == 0 }

    /// Tiles of 2x2 outputs over the output map.
    private var winogradTiles: (h: Int, w: Int) { ((output.height + 1) / 2, (output.width + 1) / 2) }

    /// The 16 transformed weight matrices, each packed for the tap kernel (rows = output channels,
    /// depth = input channels): computed once per weight values (evaluation runs the network in
    /// many parts, on several threads).
    func winogradWeights() -> [Float] {
        let w = weight.value
        // Same storage, or same values: the weights have not changed since the last transform.
        if let hit = winogradCache.withLock({ $0.flatMap { $0.source == w ? $0.packed : nil } }) { return hit }
        let cin = input.channels, cout = output.channels, size = cout * cin
        var u = [Float](repeating: 0, count: 16 * size), packed = u
        w.withUnsafeBufferPointer { fk_winograd_weights($0.baseAddress!, cout, cin, cin * 9, 9, 0, &u) }
        u.withUnsafeBufferPointer { ub in
            packed.withUnsafeMutableBufferPointer { pb in
                for xi in 0..<16 {
                    fk_pack_rows(ub.baseAddress! + xi * size, cout, cin, 1, 0, cin, 1, pb.baseAddress! + xi * size)
                }
            }
        }
        winogradCache.withLock { $0 = (w, packed) }
        return packed
    }

    /// Images whose tiles one set of 16 products covers: about 128 tiles (enough columns for the
    /// tap kernel's blocks, few enough that the transformed images stay in cache).
    private var winogradGroup: Int { max(1, 128 / max(1, winogradTiles.h * winogradTiles.w)) }

    /// Forward for one chunk of images; `U` is ``winogradWeights()``.
    func winogradForward(_ images: Range<Int>, _ X: UnsafePointer<Float>, _ U: UnsafePointer<Float>,
                         _ Y: UnsafeMutablePointer<Float>, _ epilogue: Epilogue?) {
        let cin = input.channels, cout = output.channels, (th, tw) = winogradTiles, tiles = th * tw
        let group = winogradGroup, path = FloatConvolution.kernelPath
        let split = UnsafeMutablePointer<Float>.allocate(capacity: cin * (2 * th + 2) * 2 * (tw + 1))
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * cin * group * tiles)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * cout * group * tiles)
        let t = UnsafeMutablePointer<Float>.allocate(capacity: cout * 4 * tiles)  // one image's tile outputs
        defer { split.deallocate(); v.deallocate(); m.deallocate(); t.deallocate() }
        let zero = [0], tilePlane = 4 * tiles, tileRow = 2 * tw
        for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: group) {
            let count = min(group, images.upperBound - start), n = count * tiles
            for i in 0..<count {
                fk_winograd_split(path, X + (start + i) * input.count, cin, input.height, input.width, th, tw, split)
                fk_winograd_input(path, split, cin, th, tw, v + i * tiles, n, cin * n)
            }
            for xi in 0..<16 {
                let status = fk_conv_taps(path, v + xi * cin * n, n, cin, zero, 1, U + xi * cout * cin, cout, m + xi * cout * n, n, n, 0)
                precondition(status == 0, "CFloatKernels refused the Winograd products of \(input) -> \(output)")
            }
            for i in 0..<count {
                fk_winograd_output(path, m + i * tiles, n, cout * n, cout, th, tw, t)
                let y = Y + (start + i) * output.count, (oh, ow) = (output.height, output.width)
                if let epilogue {
                    epilogue.apply(t, plane: tilePlane, row: tileRow, into: y, plane: oh * ow, row: ow, channels: 0..<cout, rows: oh, width: ow)
                } else {
                    fk_copy_rows(t, tilePlane, tileRow, y, oh * ow, ow, cout, oh, ow)
                }
            }
        }
    }
}
