import CFloatKernels

/// ``Conv2d``'s Winograd path for 3x3 stride-1 convolutions with padding 1 (Lavin and Gray, 2016):
/// F(4x4, 3x3) (`Sources/CFloatKernels/winograd4.c`), 36 products per 4x4 block of outputs and
/// channel pair instead of 144, on maps 6 wide and up (below 13, two images side by side), or
/// F(2x2, 3x3) (`winograd.c`), 16 per 2x2 block instead of 36 (``winogradLayout``). The input's
/// patches and the weights are transformed, the transformed positions are matrix products over
/// the channels (the direct tap kernel with one tap), and the output transform sums them back.
/// The forward runs so, and so does the input gradient, a 3x3 stride-1 convolution of the output
/// gradient with the rotated, transposed weights; the weight gradient runs on the transpose,
/// F(3x3, 4x4) or F(3x3, 2x2) (``WinogradWeightGradient``).
/// The sums differ from the direct path's by rounding (float training is not bit-exact across
/// paths). A quantized convolution's forward never uses it (``Conv2d/exactForward``), nor does
/// packed inference; its gradients do.
extension Conv2d {
    /// Whether ``FloatConvolution/Path/winograd`` computes this convolution's forward and input
    /// gradient (and, with ``winogradWeightGradient``, its weight gradient): 3x3, stride 1, padding 1, zero padding (a binary conv pads its codes with +1). New
    /// convolutions take it only where it is faster (``FloatConvolution/path(kernel:stride:padding:input:output:)``).
    var winogradApplies: Bool { path == .winograd && kernel == 3 && stride == 1 && padding == 1 && padValue == 0 }

    /// Whether the weight gradient runs on Winograd too (the transpose of the forward's tiles):
    /// wherever ``winogradApplies``. Where the last tiles' blocks of output gradient overhang the
    /// map, they read zeros (F(2x2): the zeros that follow each row and channel in the wide-row
    /// buffer, ``directBackward(_:_:_:_:_:_:winograd:)``; F(4x4): its transform's own), so the
    /// overhang adds nothing.
    /// `FATNN_WINOGRAD_WEIGHTS=direct` keeps the weight gradient on the direct kernel.
    var winogradWeightGradient: Bool { winogradApplies && FloatConvolution.winogradWeightGradients }

    /// The tile of every Winograd pass and how many images a run's slot holds: F(4x4, 3x3) on maps
    /// of at least 13x13, whose rows hold at least 4 tiles (the AVX2 transforms' register); on
    /// maps 6 to 12 wide (resnet20's 7x7, cifar-10's 8x8), F(4x4, 3x3) on two images side by side
    /// with a zero column between them (``WinogradRun``), whose rows hold 4 to 7 tiles; else
    /// F(2x2, 3x3), one image per slot. `FATNN_WINOGRAD_TILE=2` keeps F(2x2, 3x3) everywhere, for
    /// same-binary comparisons.
    var winogradLayout: (tile: Int, pack: Int) {
        guard FloatConvolution.winogradLargeTiles, output.height >= 6, output.width >= 6 else { return (2, 1) }
        if output.height >= 13 && output.width >= 13 { return (4, 1) }
        return output.width <= 12 ? (4, 2) : (2, 1)
    }

    /// The tile of ``winogradLayout``: 4 (F(4x4, 3x3)) or 2 (F(2x2, 3x3)).
    var winogradTile: Int { winogradLayout.tile }

    /// The forward's 36 or 16 transformed weight matrices, each packed for the tap kernel (rows = output
    /// channels, depth = input channels): computed once per weight values (evaluation runs the
    /// network in many parts, on several threads).
    func winogradWeights() -> [Float] {
        let w = weight.value
        // Same storage, or same values: the weights have not changed since the last transform.
        if let hit = winogradCache.withLock({ $0.flatMap { $0.source == w ? $0.packed : nil } }) { return hit }
        let packed = Self.winogradPack(w, tile: winogradTile, rows: output.channels, depth: input.channels, rowStride: input.channels * 9,
                                       depthStride: 9, rotated: false)
        winogradCache.withLock { $0 = (w, packed) }
        return packed
    }

    /// The input gradient's transformed weights: the kernels rotated by 180° with input and output
    /// channels swapped (rows = input channels, depth = output channels).
    func winogradBackwardWeights() -> [Float] {
        Self.winogradPack(weight.value, tile: winogradTile, rows: input.channels, depth: output.channels, rowStride: 9,
                          depthStride: input.channels * 9, rotated: true)
    }

    private static func winogradPack(_ w: [Float], tile: Int, rows: Int, depth: Int, rowStride: Int, depthStride: Int,
                                     rotated: Bool) -> [Float] {
        let size = rows * depth, positions = (tile + 2) * (tile + 2)
        var u = [Float](repeating: 0, count: positions * size), packed = u
        w.withUnsafeBufferPointer {
            if tile == 4 {
                fk_winograd4_weights($0.baseAddress!, rows, depth, rowStride, depthStride, rotated ? 1 : 0, &u)
            } else {
                fk_winograd_weights($0.baseAddress!, rows, depth, rowStride, depthStride, rotated ? 1 : 0, &u)
            }
        }
        u.withUnsafeBufferPointer { ub in
            packed.withUnsafeMutableBufferPointer { pb in
                for xi in 0..<positions {
                    fk_pack_rows(ub.baseAddress! + xi * size, rows, depth, 1, 0, depth, 1, pb.baseAddress! + xi * size)
                }
            }
        }
        return packed
    }

    /// Images per set of products: about 128 tiles (enough columns for the tap kernel's blocks,
    /// few enough to stay in cache: a 512 KB L2 holds a 32-channel set's F(2x2, 3x3) transforms).
    /// The weight gradient's sets measured the same from 128 to 1,024 tiles on a Zen 4.
    static func winogradImagesPerSet(_ shape: ImageShape, tile: Int, pack: Int) -> Int {
        let (h, w) = WinogradRun.tiles(shape, tile: tile, pack: pack)
        return pack * max(1, 128 / (h * w))
    }

    /// A run for this convolution's forward (`backward`: its input gradient, from the output's
    /// shape to the input's) in its ``winogradLayout``.
    func winogradRun(backward: Bool = false) -> WinogradRun {
        let (tile, pack) = winogradLayout, map = backward ? input : output
        return WinogradRun(input: backward ? output : input, output: map, tile: tile, pack: pack,
                           imagesPerSet: Self.winogradImagesPerSet(map, tile: tile, pack: pack))
    }

    /// Forward for one chunk of images; `U` is ``winogradWeights()``.
    func winogradForward(_ images: Range<Int>, _ X: UnsafePointer<Float>, _ U: UnsafePointer<Float>,
                         _ Y: UnsafeMutablePointer<Float>, _ epilogue: Epilogue?) {
        let run = winogradRun()
        defer { run.deallocate() }
        for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: run.group) {
            let count = min(run.group, images.upperBound - start), pack = run.pack
            let slots = (count + pack - 1) / pack
            func image(_ i: Int) -> Int? { i < count ? start + i : nil }
            for slot in 0..<slots {
                run.transform(slot, X + (start + slot * pack) * input.count, image(slot * pack + 1).map { X + $0 * input.count },
                              plane: input.plane, row: input.width)
            }
            run.multiply(slots: slots, by: U)
            for slot in 0..<slots {
                run.writeOutputs(slot, epilogue, into: Y + (start + slot * pack) * output.count,
                                 image(slot * pack + 1).map { Y + $0 * output.count }, output)
            }
        }
    }

    /// The input gradients of a set whose output gradients `run` has transformed: slot `s` holds
    /// `slotImages[s]` images (1, or 2 side by side), into `dx` (CHW, consecutive images from the
    /// first slot's first); `U` is ``winogradBackwardWeights()``.
    func winogradInputGradients(_ slotImages: [Int], _ U: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, run: WinogradRun) {
        run.multiply(slots: slotImages.count, by: U)
        var image = 0
        for (slot, count) in slotImages.enumerated() {
            run.writeOutputs(slot, nil, into: dx + image * input.count, count == 2 ? dx + (image + 1) * input.count : nil, input)
            image += count
        }
    }
}

/// The buffers of Winograd products over a set of images of one shape: the split image (where the
/// path transforms through it: ``fk_winograd_image``), the transformed inputs (`positions x
/// channels x tiles`), the products and one slot's tile outputs. `tile` is 2 (F(2x2, 3x3), 16
/// positions) or 4 (F(4x4, 3x3), 36 positions). A slot holds one image, or with `pack` 2 two
/// images side by side with one zero column between them (the column is both images' padding,
/// so each image's outputs are its own convolution's, to rounding; the weight gradient reads a
/// zero output gradient there): a map of `2·width + 1` columns, whose rows hold 4x4 tiles enough
/// for the vector transforms where one image's do not.
/// For the input gradient, `input` and `output` are the convolution's output and input; for the
/// weight gradient, the product buffer holds the transformed output gradients.
struct WinogradRun {
    /// `group`: images per set (a multiple of `pack`); `tiles`: tiles per slot.
    let cin: Int, cout: Int, tile: Int, pack: Int, positions: Int, tilesH: Int, tilesW: Int, tiles: Int, group: Int, height: Int, width: Int
    /// The output map's size (the weight gradient's output-gradient transform reads zeros past it).
    let outputHeight: Int, outputWidth: Int
    /// Floats from one channel's transformed tiles to the next's (every slot's tiles rounded up to 8,
    /// 8 more, which F(4x4, 3x3)'s AVX2 transforms may write past the last slot, and 8 more where
    /// that is a multiple of 64), and from one position ξ to the next, in the inputs
    /// and products (a channel block and one more cache line): strides that are multiples of
    /// 4 KB would put all positions' rows in the same L1 sets (32x32 maps ran at 0.76x the
    /// direct kernels so).
    let ld: Int, vStride: Int, mStride: Int
    private let split, v, m, t: UnsafeMutablePointer<Float>
    private let path = FloatConvolution.kernelPath

    init(input: ImageShape, output: ImageShape, tile: Int = 2, pack: Int = 1, imagesPerSet: Int) {
        precondition(tile == 2 || tile == 4, "Winograd tiles are 2x2 or 4x4")
        precondition(pack == 1 || (pack == 2 && tile == 4), "two images per slot only on 4x4 tiles")
        cin = input.channels
        cout = output.channels
        height = input.height
        width = input.width
        outputHeight = output.height
        outputWidth = output.width
        self.tile = tile
        self.pack = pack
        positions = (tile + 2) * (tile + 2)
        (tilesH, tilesW) = Self.tiles(output, tile: tile, pack: pack)
        tiles = tilesH * tilesW
        group = max(1, imagesPerSet / pack) * pack
        let rounded = (group / pack * tiles + 7) / 8 * 8 + 8
        ld = rounded % 64 == 0 ? rounded + 8 : rounded
        vStride = cin * ld + 16
        mStride = cout * ld + 16
        split = .allocate(capacity: tile == 4 ? fk_winograd4_scratch(cin, tilesH, tilesW) : cin * (2 * tilesH + 2) * 2 * (tilesW + 1))
        v = .allocate(capacity: positions * vStride)
        m = .allocate(capacity: positions * mStride)
        t = .allocate(capacity: cout * tile * tile * tiles)
    }

    func deallocate() { split.deallocate(); v.deallocate(); m.deallocate(); t.deallocate() }

    /// Rows and columns of tiles a slot covers: `map` (`pack` 2: two of its images side by side,
    /// `2·width + 1` columns) in `tile`x`tile` output blocks.
    static func tiles(_ map: ImageShape, tile: Int, pack: Int) -> (h: Int, w: Int) {
        ((map.height + tile - 1) / tile, (pack * map.width + pack - 1 + tile - 1) / tile)
    }

    /// A tile output plane and row: `tile·tilesH` rows of `tile·tilesW` values per channel.
    var outputPlane: Int { tile * tile * tiles }
    var outputRow: Int { tile * tilesW }

    /// Transforms an image into slot `i` of the set (channel `c`, row `r` at `x + c·plane + r·row`),
    /// with `x2` (same strides, or nil) beside it when the slots hold two.
    func transform(_ i: Int, _ x: UnsafePointer<Float>, _ x2: UnsafePointer<Float>? = nil, plane: Int, row: Int) {
        if tile == 4 {
            fk_winograd4_image(path, x, pack == 2 ? x2 : nil, plane, row, cin, height, width, tilesH, tilesW, split, v + i * tiles, ld,
                               vStride)
        } else {
            fk_winograd_image(path, x, plane, row, cin, height, width, tilesH, tilesW, split, v + i * tiles, ld, vStride)
        }
    }

    /// The products of the set's first `count` slots with the packed weights `U`, one per position.
    func multiply(slots count: Int, by U: UnsafePointer<Float>) {
        let n = count * tiles, zero = [0]
        for xi in 0..<positions {
            let status = fk_conv_taps(FloatConvolution.tapPath, v + xi * vStride, ld, cin, zero, 1, U + xi * cout * cin, cout, m + xi * mStride, ld, n, 0)
            precondition(status == 0, "CFloatKernels refused the Winograd products of \(cin) -> \(cout) channels")
        }
    }

    /// The weight gradient's transform of an output gradient (CHW, `plane` and `row` apart,
    /// ``cout`` channels; on an odd map the row and column past it must read as zeros) into slot
    /// `i` of the product buffer, which a weight-gradient run uses for these instead of products.
    func transformGradient(_ i: Int, _ dy: UnsafePointer<Float>, _ dy2: UnsafePointer<Float>? = nil, plane: Int, row: Int) {
        if tile == 4 {
            fk_winograd4_gradient(path, dy, pack == 2 ? dy2 : nil, plane, row, cout, outputHeight, outputWidth, tilesH, tilesW, split,
                                  m + i * tiles, ld, mStride)
        } else {
            fk_winograd_gradient(path, dy, plane, row, cout, tilesH, tilesW, m + i * tiles, ld, mStride)
        }
    }

    /// Adds the first `count` slots' weight-gradient sums onto `sums` (`positions x cout x cin`): for each
    /// position, the transformed output gradients times the transformed inputs over the tiles,
    /// on the direct weight-gradient kernel (one tap).
    func accumulateWeightGradient(slots count: Int, into sums: UnsafeMutablePointer<Float>) {
        let n = count * tiles, zero = [0]
        for xi in 0..<positions {
            let status = fk_conv_weight_grad(path, v + xi * vStride, ld, cin, zero, 1, m + xi * mStride, ld, cout, sums + xi * cout * cin,
                                             n, 1, 0, 0)
            precondition(status == 0, "CFloatKernels refused the Winograd weight gradient of \(cin) -> \(cout) channels")
        }
    }

    /// The output transform into `y`: rows below `height`, columns below `width` (F(4x4, 3x3)
    /// stores only those; F(2x2, 3x3) all its tiles' outputs, so only where the tiles fit).
    private func output(_ i: Int, into y: UnsafeMutablePointer<Float>, plane: Int, row: Int, height: Int, width: Int) {
        if tile == 4 {
            fk_winograd4_output(path, m + i * tiles, ld, mStride, cout, tilesH, tilesW, y, plane, row, height, width)
        } else {
            fk_winograd_output(path, m + i * tiles, ld, mStride, cout, tilesH, tilesW, y, plane, row)
        }
    }

    /// Slot `i`'s outputs into `y` (CHW of `shape`, ``cout`` channels; the second image's into
    /// `y2`, if the slot holds one), through `epilogue` if any. Without one, F(4x4, 3x3)'s output
    /// transform of one image, and F(2x2, 3x3)'s on a map its tiles cover exactly, store in place;
    /// otherwise the tiles' outputs (``outputPlane``, ``outputRow``) go to a buffer first.
    func writeOutputs(_ i: Int, _ epilogue: Conv2d.Epilogue?, into y: UnsafeMutablePointer<Float>, _ y2: UnsafeMutablePointer<Float>? = nil,
                      _ shape: ImageShape) {
        if epilogue == nil && pack == 1 && (tile == 4 || (shape.height == tile * tilesH && shape.width == tile * tilesW)) {
            output(i, into: y, plane: shape.plane, row: shape.width, height: shape.height, width: shape.width)
            return
        }
        output(i, into: t, plane: outputPlane, row: outputRow, height: tile * tilesH, width: tile * tilesW)
        Conv2d.Epilogue.write(epilogue, t, plane: outputPlane, row: outputRow, into: y, plane: shape.plane, row: shape.width,
                              channels: cout, rows: shape.height, width: shape.width)
        guard pack == 2, let y2 else { return }
        Conv2d.Epilogue.write(epilogue, t + shape.width + 1, plane: outputPlane, row: outputRow, into: y2, plane: shape.plane,
                              row: shape.width, channels: cout, rows: shape.height, width: shape.width)
    }
}

/// One chunk's Winograd weight gradient (F(3x3, 2x2) or F(3x3, 4x4)): each image's input and
/// output gradient go into the slots of a run (two images a slot where the run packs two), every
/// full set's products are summed per position ξ (`positions x cout x cin`), and
/// ``finish(into:)`` takes the sums back to 3x3 once.
struct WinogradWeightGradient {
    private let run: WinogradRun
    private let sums: UnsafeMutablePointer<Float>
    private var pending = 0
    /// The first image of a slot of two, until its second comes (or the chunk of gradients ends).
    private var waiting: (x: UnsafePointer<Float>, dy: UnsafePointer<Float>)?
    /// Where an input's (and an output gradient's) channels and rows are apart.
    private let plane: Int, row: Int, gradientPlane: Int, gradientRow: Int

    /// For `conv`'s inputs (channels `plane` apart, rows `row` apart) and output gradients
    /// (`gradientPlane`, `gradientRow`: the wide-row buffer).
    init(_ conv: Conv2d, plane: Int, row: Int, gradientPlane: Int, gradientRow: Int) {
        run = conv.winogradRun()
        (self.plane, self.row, self.gradientPlane, self.gradientRow) = (plane, row, gradientPlane, gradientRow)
        let count = run.positions * conv.output.channels * conv.input.channels
        sums = .allocate(capacity: count)
        sums.initialize(repeating: 0, count: count)
    }

    func deallocate() { run.deallocate(); sums.deallocate() }

    /// Adds one image: its input `x` and its output gradient `dy` (with zeros past an odd map: the
    /// wide-row buffer). `dy` must stay valid until the next `add` or ``endGradients()``.
    mutating func add(_ x: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>) {
        guard run.pack == 2 else { return transform(x, dy, nil) }
        guard let first = waiting else {
            waiting = (x, dy)
            return
        }
        waiting = nil
        transform(first.x, first.dy, (x, dy))
    }

    /// Transforms a waiting first image alone: its output gradient's buffer is about to be reused.
    mutating func endGradients() {
        guard let first = waiting else { return }
        waiting = nil
        transform(first.x, first.dy, nil)
    }

    private mutating func transform(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                    _ second: (x: UnsafePointer<Float>, dy: UnsafePointer<Float>)?) {
        run.transform(pending, x, second?.x, plane: plane, row: row)
        run.transformGradient(pending, dy, second?.dy, plane: gradientPlane, row: gradientRow)
        pending += 1
        if pending * run.pack >= run.group { flush() }
    }

    /// Adds the chunk's weight gradient onto `dw` (tap layout, `fk_winograd4_weight_grad` or
    /// `fk_winograd_weight_grad`).
    mutating func finish(into dw: UnsafeMutablePointer<Float>) {
        endGradients()
        flush()
        if run.tile == 4 {
            fk_winograd4_weight_grad(sums, run.cout, run.cin, dw)
        } else {
            fk_winograd_weight_grad(sums, run.cout, run.cin, dw)
        }
    }

    private mutating func flush() {
        guard pending > 0 else { return }
        run.accumulateWeightGradient(slots: pending, into: sums)
        pending = 0
    }
}
