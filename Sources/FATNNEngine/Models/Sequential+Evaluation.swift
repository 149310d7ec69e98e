import Foundation

/// Evaluation: fused layers, and the batch run a few images at a time.
///
/// A float layer's evaluation output for an image depends on that image alone, so the layers
/// before the classifier can run on a few images at a time: each thread takes a contiguous part
/// of the batch and runs it through them ``imagesPerPass`` images at a time, so that one pass's
/// activations stay in the core's own cache instead of streaming the whole batch's through the
/// shared one at every layer. The classifier then runs on the whole batch. Same output, bit for
/// bit, as the batch run layer by layer (each image's sums are the same sums in the same order).
extension Sequential {
    /// Images that one thread runs through the layers before the classifier at a time: 16, or
    /// `FATNN_EVAL_IMAGES` (for measuring; 16-32 were fastest for resnet20 on a Zen 4, see
    /// docs/BENCHMARKS.md).
    static let imagesPerPass: Int = {
        if let v = ProcessInfo.processInfo.environment["FATNN_EVAL_IMAGES"], let n = Int(v), n >= 1 { return n }
        return 16
    }()

    /// Evaluation-mode forward that runs each `Conv2d → BatchNorm [→ ReLU]` run as one fused
    /// convolution (``Conv2d/Epilogue``) and each other `BatchNorm → ReLU` as one pass; other
    /// layers run as they are. A batch larger than ``imagesPerPass``, or of 2 or more images with
    /// several engine threads, runs the layers before the classifier in parts (see above); a
    /// single image runs every layer on the calling thread. Same output, bit for bit, as running
    /// the layers one by one on the whole batch.
    func inferenceForward(_ input: Matrix) -> Matrix {
        inferenceForward(input, threads: Parallel.chunkCount(input.rows), imagesPerPass: Self.imagesPerPass)
    }

    /// ``inferenceForward(_:)`` with the batch split into `threads` parts, each run
    /// `imagesPerPass` images at a time through the layers before the classifier.
    func inferenceForward(_ input: Matrix, threads: Int, imagesPerPass perPass: Int) -> Matrix {
        let head = layers.prefix { Self.evaluatesPerImage($0) }.count
        // One part on one thread is the plain run; several images split over the threads, at most
        // one part per image, even when one pass would hold them all (splitting each layer over
        // the threads instead costs a thread hand-off per layer).
        guard head > 0, input.rows > perPass || threads > 1 else {
            // A single image runs every layer on the calling thread, as the packed network does.
            if input.rows == 1 { return Parallel.serially { inferenceForward(input, layers: 0..<layers.count) } }
            return inferenceForward(input, layers: 0..<layers.count)
        }
        let features = Parallel.imagesInPasses(input, threads: threads, perPass: perPass) { inferenceForward($0, layers: 0..<head) }
        return inferenceForward(features, layers: head..<layers.count)
    }

    /// Runs `range` of the layers in evaluation mode, fusing as ``inferenceForward(_:)`` says
    /// (never past the end of the range).
    private func inferenceForward(_ input: Matrix, layers range: Range<Int>) -> Matrix {
        forward(input, training: false, layers: range) { i, h in
            let next = i + 1 < range.upperBound ? layers[i + 1] : nil
            if let conv = layers[i] as? Conv2d, let bn = next as? BatchNorm,
               bn.features == conv.output.channels, bn.spatial == conv.output.plane {
                let relu = i + 2 < range.upperBound && layers[i + 2] is ReLU
                return (conv.forward(h, epilogue: bn.inferenceEpilogue(relu: relu)), relu ? 3 : 2)
            }
            if let bn = layers[i] as? BatchNorm, next is ReLU { return (bn.forward(h, training: false, relu: true), 2) }
            return nil
        }
    }

    /// Whether `layer`'s evaluation output for an image depends on that image alone and the
    /// evaluation changes nothing in the layer (so several threads may run it at once). A
    /// quantized convolution sets its inner convolution's weights on every forward, and a
    /// fully connected layer's SGEMM may round differently with the number of rows: neither.
    static func evaluatesPerImage(_ layer: any Layer) -> Bool {
        switch layer {
        case is Conv2d, is BatchNorm, is ReLU, is MaxPool2d, is GlobalAvgPool: true
        case let block as BasicBlock:
            block.main.layers.allSatisfy(evaluatesPerImage) && (block.shortcut?.layers.allSatisfy(evaluatesPerImage) ?? true)
        default: false
        }
    }
}
