import CTernaryKernels
import Dispatch

/// A trained quantized network for inference on packed operands (`FATNN.md` §5).
///
/// Every quantized convolution runs on bit planes with its kind's kernel: FATNN's 2-popcount
/// kernel for ternary x ternary (`fatnn` and `tnn`, or the 4-popcount `tnn4` kernel on request),
/// the 2-popcount 2-bit x ternary kernel for `fatnn-a2`, the signed 2-bit kernel for `lsq2` and
/// XNOR for `binary`; its integer accumulators are multiplied by the layer's output scales where
/// the layer has them. Where a ternary conv feeds `BatchNorm → ReLU → ternary conv` (inside a
/// residual block), that float path is folded into integer thresholds on the accumulator, so
/// codes go from one packed conv to the next without floats. The stem, the classifier, BatchNorms before residual adds, the
/// residual stream and pooling stay in float and run the network's own layers in eval mode,
/// so the codes at every quantized conv and the logits equal the training-time network's in eval
/// mode exactly.
public final class PackedNetwork {
    /// One step of the program; values flow as floats (NCHW matrices), codes or raw accumulators.
    enum Op {
        /// A float layer in eval mode.
        case layer(any Layer)
        /// Consecutive float layers in eval mode, with the `Sequential`'s inference fusions.
        case floats(Sequential)
        /// Float input (images of `shape`) to the runs of a quantized conv (padded by `padding`)
        /// with its own activation quantizer, in the encoding of the kernel `kind`.
        case quantize(any ActivationQuantizer, shape: ImageShape, kind: PackedKernel.Kind, padding: Int)
        /// Runs to raw accumulators.
        case conv(PackedConv)
        /// Raw accumulators to `z` as floats, NCHW.
        case dequantize(PackedConv)
        /// Runs through a packed conv whose accumulators go through folded thresholds to the runs of
        /// the next conv (padded by `padding`); on AVX-512 the thresholds are the kernel's epilogue.
        case convThresholds(PackedConv, FoldedThresholds, padding: Int)
        /// The last step of a residual block's main path: raw accumulators to `z`, the BatchNorm
        /// (eval), the shortcut added and the block's ReLU, in one pass (the same float operations
        /// in the same order as `dequantize`, the BatchNorm layer and the join).
        case normJoin(PackedConv, BatchNorm)
        /// Raw accumulators to `BN(z)` (eval) in one pass (a downsampling shortcut's 1x1 conv and its
        /// BatchNorm; the same float operations as `dequantize` and the BatchNorm layer).
        case dequantizeNorm(PackedConv, BatchNorm)
        /// ``normJoin`` whose output also goes through the next residual block's input quantizers
        /// (its main path's, then its shortcut's, each with the padding of its conv), in the same
        /// pass on AVX-512; the block then yields `floatRuns`.
        case normJoinQuantize(PackedConv, BatchNorm, targets: [(FATNNActivationQuantizer, padding: Int)])
        /// The runs at `index` of a `floatRuns` input (in place of quantizing it again).
        case takeRuns(Int)
        /// Raw accumulators through the conv's output scales, a BatchNorm (eval), a ReLU when `relu`
        /// and the next conv's activation quantizer (its C twin) to that conv's runs, in one pass.
        case normQuantize(PackedConv, BatchNorm, relu: Bool, CodeQuantizer, kind: PackedKernel.Kind, padding: Int)
        /// A residual block: `relu(main(x) + (shortcut(x) ?? x))`.
        case residual(main: [Op], shortcut: [Op]?, relu: ReLU?)
    }

    enum Value {
        case float(Matrix)
        case runs(PackedRuns)
        case raw([Int32])
        /// A residual block's output with the next block's inputs already quantized.
        case floatRuns(Matrix, [PackedRuns])
    }

    /// Why a network cannot be packed.
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
    }

    let program: [Op]
    /// The index of the first step that holds a fully connected layer (the classifier), or the
    /// program's length.
    let classifierStart: Int
    /// Whether every step before the classifier is known to work image by image
    /// (``Op/isPerImage``), so that a batch may be split there. A network with any other step
    /// runs unsplit.
    let splittable: Bool
    /// The kernel path every packed conv uses.
    public var path: PackedKernel.Path = .best
    /// When non-nil, ``forward(_:codes:)`` adds the seconds spent per step kind here.
    public var profile: [String: Double]?

    /// Packs `network` (any quantizer kind: `fatnn`, `tnn`, `lsq2`, `fatnn-a2`, `binary`).
    ///
    /// - Parameter ternaryKernel: the kernel for ternary x ternary convs (`fatnn` and `tnn`
    ///   networks): ``PackedKernel/Kind/fatnn`` (2 popcounts, the default) or
    ///   ``PackedKernel/Kind/tnn4`` (the conventional 4 popcounts), for timing one network both ways.
    /// - Throws: ``Error`` for a quantized conv whose quantizers have no packed kernel, a bypassed
    ///   one (warm-up), or a float path that cannot be folded.
    public init(_ network: Sequential, ternaryKernel: PackedKernel.Kind = .fatnn) throws {
        guard ternaryKernel == .fatnn || ternaryKernel == .tnn4 else {
            throw Error(description: "the ternary kernel is fatnn or tnn4, not \(ternaryKernel)")
        }
        var none: Prepacked? = nil
        program = try PackedNetwork.compile(network.layers, &none, ternary: ternaryKernel)
        (classifierStart, splittable) = PackedNetwork.splitPoint(program)
    }

    /// Assembles the packed network of `network` from packed convolutions and folded thresholds
    /// made earlier (a packed model file), in execution order, instead of packing and folding anew.
    ///
    /// - Throws: ``Error`` if their number or shapes do not fit the network.
    public init(_ network: Sequential, convs: [PackedConv], folds: [FoldedThresholds]) throws {
        var supply: Prepacked? = Prepacked(convs: convs, folds: folds)
        program = try PackedNetwork.compile(network.layers, &supply, ternary: .fatnn)
        (classifierStart, splittable) = PackedNetwork.splitPoint(program)
        guard let s = supply, s.nextConv == convs.count, s.nextFold == folds.count else {
            throw Error(description: "the packed file has \(convs.count) convs and \(folds.count) folds; the network uses fewer")
        }
    }

    /// Packed convolutions and folds handed to ``init(_:convs:folds:)``, taken in order.
    struct Prepacked {
        let convs: [PackedConv]
        let folds: [FoldedThresholds]
        var nextConv = 0, nextFold = 0
    }

    /// The packed convolutions, in execution order.
    public var convs: [PackedConv] {
        func walk(_ ops: [Op]) -> [PackedConv] {
            ops.flatMap { op -> [PackedConv] in
                switch op {
                case .conv(let c), .convThresholds(let c, _, _): [c]
                case .residual(let main, let shortcut, _): walk(main) + walk(shortcut ?? [])
                default: []
                }
            }
        }
        return walk(program)
    }

    /// The folded thresholds, in execution order.
    public var folds: [FoldedThresholds] {
        func walk(_ ops: [Op]) -> [FoldedThresholds] {
            ops.flatMap { op -> [FoldedThresholds] in
                switch op {
                case .convThresholds(_, let t, _): [t]
                case .residual(let main, let shortcut, _): walk(main) + walk(shortcut ?? [])
                default: []
                }
            }
        }
        return walk(program)
    }

    /// The number of packed convolutions and of threshold folds.
    public var counts: (convs: Int, folds: Int) {
        func walk(_ ops: [Op]) -> (Int, Int) {
            ops.reduce((0, 0)) { acc, op in
                switch op {
                case .conv: (acc.0 + 1, acc.1)
                case .convThresholds: (acc.0 + 1, acc.1 + 1)
                case .residual(let main, let shortcut, _):
                    { (acc.0 + $0.0 + $1.0, acc.1 + $0.1 + $1.1) }(walk(main), walk(shortcut ?? []))
                default: acc
                }
            }
        }
        return walk(program)
    }

    /// Logits for a batch of images (`images x C·H·W`). With `codes`, appends the activation
    /// codes of every quantized conv's input, in execution order (one array per conv, NCHW).
    ///
    /// With several engine threads (and neither `codes` nor ``profile``), the images are split
    /// over the threads, at most one share per image, and each runs the program up to the first
    /// fully connected layer on its share, with no synchronization between layers; the classifier
    /// then runs once on the whole batch. Every step before the classifier is per image, and the
    /// classifier's SGEMM sees the same batch either way, so the logits are the same bit for bit
    /// (tested). (The classifier itself is not split: a batched SGEMM's last bits depend on the
    /// number of rows it is given.) A single image runs the steps before the classifier on the
    /// calling thread: splitting each step instead (the path with `codes` or ``profile``) costs a
    /// thread hand-off per step, which took longer than the steps themselves on 28x28 images.
    public func forward(_ x: Matrix, codes: ((([UInt8]) -> Void))? = nil) -> Matrix {
        if codes == nil && splitsBatch(ofRows: x.rows) {
            return forwardSplittingImages(x, threads: Parallel.threads)
        }
        guard case .float(let y) = run(program, .float(x), images: x.rows, record: codes) else {
            preconditionFailure("PackedNetwork: the program does not end in floats")
        }
        return y
    }

    /// Whether ``forward(_:codes:)`` without `codes` splits a batch of `rows` images over the
    /// engine's threads: any batch, with several threads. (It took 8 images per thread; smaller
    /// batches split each step over the threads instead, and on a Zen 4 with 2 threads resnet20
    /// ran 1.7-2.8x faster at batches 1-8 split by images.)
    func splitsBatch(ofRows rows: Int, threads: Int = Parallel.threads) -> Bool {
        splittable && profile == nil && threads > 1 && rows >= 1
    }

    /// The first step holding a fully connected layer, and whether every step before it is per image.
    static func splitPoint(_ program: [Op]) -> (Int, Bool) {
        let start = program.firstIndex { op in
            switch op {
            case .layer(let l): l is Linear
            case .floats(let s): s.layers.contains { $0 is Linear }
            default: false
            }
        } ?? program.count
        return (start, program[..<start].allSatisfy(\.isPerImage))
    }

    /// The logits of `x`: its images split into `threads` contiguous chunks, each run on its own
    /// thread through the steps before the classifier, ``Sequential/imagesPerPass`` images at a
    /// time; then the classifier on all of them.
    func forwardSplittingImages(_ x: Matrix, threads: Int) -> Matrix {
        let head = Array(program[..<classifierStart]), tail = Array(program[classifierStart...])
        let features = Parallel.imagesInPasses(x, threads: threads, perPass: Sequential.imagesPerPass) { part in
            guard case .float(let f) = run(head, .float(part), images: part.rows, record: nil) else {
                preconditionFailure("PackedNetwork: the classifier's input is not floats")
            }
            return f
        }
        guard case .float(let logits) = run(tail, .float(features), images: x.rows, record: nil) else {
            preconditionFailure("PackedNetwork: the program does not end in floats")
        }
        return logits
    }

    private func run(_ ops: [Op], _ input: Value, images: Int, record: (([UInt8]) -> Void)?) -> Value {
        var v = input
        for op in ops {
            let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            defer {
                if profile != nil, !op.isResidual {
                    profile![op.kind, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                }
            }
            // A block's output with the next inputs' runs is its floats to any step but those two.
            if case .floatRuns(let x, _) = v, !op.isResidual, !op.takesRuns { v = .float(x) }
            switch (op, v) {
            case (.layer(let l), .float(let x)):
                v = .float(l.forward(x, training: false))
            case (.floats(let s), .float(let x)):
                v = .float(s.forward(x, training: false))
            case (.quantize(let q, let shape, let kind, let padding), .float(let x)):
                let runs = PackedRuns.encode(x, with: q, shape: shape, kind: kind, padding: padding, path: path)
                record?(runs.codes())
                v = .runs(runs)
            case (.conv(let c), .runs(let a)):
                let t = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
                let windows = c.packWindows(a, path: path)
                if profile != nil { profile!["pack windows", default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
                v = .raw(PackedKernel.multiplyRaw(c.weights, windows, path: path))
            case (.dequantize(let c), .raw(let r)):
                v = .float(c.floats(raw: r, images: images))
            case (.dequantizeNorm(let c, let bn), .raw(let r)):
                v = .float(PackedNetwork.normJoin(raw: r, c, bn, residual: nil, relu: false, images: images, path: path))
            case (.convThresholds(let c, let t, let padding), .runs(let a)):
                let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
                let windows = c.packWindows(a, path: path)
                if profile != nil { profile!["pack windows", default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
                let runs = PackedRuns.convolve(windows, c, thresholds: t, padding: padding, path: path)
                record?(runs.codes())
                v = .runs(runs)
            case (.normQuantize(let c, let bn, let relu, let twin, let kind, let padding), .raw(let r)):
                let runs = PackedRuns.normQuantize(raw: r, c, bn, relu: relu, twin, kind: kind, padding: padding, images: images, path: path)
                record?(runs.codes())
                v = .runs(runs)
            case (.takeRuns(let index), .floatRuns(_, let runs)):
                record?(runs[index].codes())
                v = .runs(runs[index])
            case (.residual(let main, let shortcut, let relu), .floatRuns(let x, _)),
                 (.residual(let main, let shortcut, let relu), .float(let x)):
                // A main path ending in a fused float tail runs up to its accumulators; the tail
                // then takes the shortcut's output (computed after main, the training order).
                var fusedTail = false
                if case .normJoin? = main.last { fusedTail = true }
                if case .normJoinQuantize? = main.last { fusedTail = true }
                let y = run(fusedTail ? Array(main.dropLast()) : main, v, images: images, record: record)
                var s = x
                if let shortcut {
                    guard case .float(let z) = run(shortcut, v, images: images, record: record) else { preconditionFailure() }
                    s = z
                }
                let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
                let key: String
                switch (main.last, y) {
                case (.normJoinQuantize(let c, let bn, let targets)?, .raw(let r)):
                    let (out, runs) = PackedNetwork.normJoin(raw: r, c, bn, residual: s, relu: relu != nil, images: images, path: path,
                                                             quantizers: targets)
                    (v, key) = (.floatRuns(out, runs), "norm join + quantize")
                case (.normJoin(let c, let bn)?, .raw(let r)):
                    (v, key) = (.float(PackedNetwork.normJoin(raw: r, c, bn, residual: s, relu: relu != nil, images: images, path: path)),
                                "norm join")
                case (_, .float(let out)):
                    (v, key) = (.float(BasicBlock.join(out, s, relu: relu, training: false)), "residual join")
                default:
                    preconditionFailure("PackedNetwork: a residual block's main path ended in \(y)")
                }
                if profile != nil { profile![key, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            default:
                preconditionFailure("PackedNetwork: \(op) cannot take this value")
            }
        }
        return v
    }
}

extension PackedNetwork.Op {
    var isResidual: Bool { if case .residual = self { true } else { false } }
    var takesRuns: Bool { if case .takeRuns = self { true } else { false } }

    /// Whether this step computes each image from that image alone, the same way whatever
    /// the batch size: packed steps and residual blocks of such steps, and float convolutions,
    /// BatchNorm (eval), ReLU and pooling. Not a fully connected layer (its batched SGEMM's last
    /// bits depend on the row count) and not a layer type this list does not know.
    var isPerImage: Bool {
        func floatLayer(_ l: any Layer) -> Bool { l is Conv2d || l is BatchNorm || l is ReLU || l is MaxPool2d || l is GlobalAvgPool }
        switch self {
        case .layer(let l): return floatLayer(l)
        case .floats(let s): return s.layers.allSatisfy(floatLayer)
        case .residual(let main, let shortcut, _): return main.allSatisfy(\.isPerImage) && (shortcut ?? []).allSatisfy(\.isPerImage)
        case .quantize, .conv, .dequantize, .convThresholds, .normJoin, .dequantizeNorm, .normJoinQuantize, .takeRuns, .normQuantize:
            return true
        }
    }

    /// The profile key of this step.
    var kind: String {
        switch self {
        case .layer(let l): "float \(type(of: l))"
        case .floats(let s): "float " + s.layers.map { "\(type(of: $0))" }.joined(separator: "+")
        case .quantize: "quantize"
        case .conv: "pack windows + kernel"
        case .dequantize: "dequantize"
        case .convThresholds: "pack windows + kernel + thresholds"
        case .normJoin: "norm join"
        case .dequantizeNorm: "dequantize + norm"
        case .normJoinQuantize: "norm join + quantize"
        case .takeRuns: "take runs"
        case .normQuantize: "norm + quantize"
        case .residual: "residual"
        }
    }
}
