import FATNNVocabulary
import Foundation

/// Measures training and inference throughput of an architecture on random images of a
/// dataset's shape (speed does not depend on pixel values).
public struct TrainingBenchmark: Sendable {
    /// One measurement.
    public struct Result: Sendable, Codable {
        public var model: String
        public var quantizer: String
        public var input: String
        public var batch: Int
        public var threads: Int
        public var trainImagesPerSecond: Double
        public var evalImagesPerSecond: Double
        /// Seconds per training step, median of the timed steps.
        public var trainStepSeconds: Double

        enum CodingKeys: String, CodingKey {
            case model, quantizer, input, batch, threads
            case trainImagesPerSecond = "train_images_per_s"
            case evalImagesPerSecond = "eval_images_per_s"
            case trainStepSeconds = "train_step_s"
        }
    }

    public var architecture: ModelArchitecture
    public var input: ImageShape
    public var batch: Int
    /// Timed steps (after 2 warm-up training steps and 1 warm-up evaluation); both figures are
    /// from the median step.
    public var steps: Int

    /// The quantizer of the benchmarked network.
    public var quantizer: QuantizerSettings

    public init(architecture: ModelArchitecture, quantizer: QuantizerSettings = .fp, input: ImageShape, batch: Int, steps: Int) {
        precondition(steps >= 1 && batch >= 2, "a benchmark needs at least 1 step and a batch of 2")
        self.quantizer = quantizer
        self.architecture = architecture
        self.input = input
        self.batch = batch
        self.steps = steps
    }

    /// A fresh model, a random batch with labels, and an optimizer.
    private func fixture() -> (Sequential, Matrix, [Int], SGD) {
        var rng = RandomSource(seed: 1)
        let model = architecture.build(input: input, classes: 10, seed: 1, quantizer: quantizer)
        let x = Matrix(rows: batch, cols: input.count, data: (0..<(batch * input.count)).map { _ in rng.nextGaussian() })
        let labels = (0..<batch).map { _ in Int(rng.next() % 10) }
        return (model, x, labels, SGD(momentum: 0.9, nesterov: false, weightDecay: 5e-4))
    }

    /// Seconds spent in each kind of layer during `steps` training steps, forward and backward
    /// (plus the loss and the optimizer update), largest first.
    public func profile() -> [(String, Double)] {
        let (model, x, labels, sgd) = fixture()
        var spent: [String: Double] = [:]
        func timed<T>(_ key: String, _ body: () -> T) -> T {
            let t = Date()
            let r = body()
            spent[key, default: 0] += Date().timeIntervalSince(t)
            return r
        }
        for _ in 0..<steps {
            var h = x
            for layer in model.layers { h = timed("\(type(of: layer)) forward") { layer.forward(h, training: true) } }
            var g = timed("loss") { SoftmaxCrossEntropy.evaluate(logits: h, labels: labels).grad }
            for layer in model.layers.reversed() { g = timed("\(type(of: layer)) backward") { layer.backward(g) } }
            timed("SGD update") { sgd.step(model.parameters, learningRate: 0.01) }
        }
        return spent.sorted { $0.value > $1.value }
    }

    /// Runs the benchmark with the process's current OpenBLAS thread count.
    public func run() -> Result {
        let (model, x, labels, sgd) = fixture()
        var times: [Double] = []
        for i in 0..<(steps + 2) {
            let t = Date()
            _ = Trainer.step(model, optimizer: sgd, x: x, labels: labels, learningRate: 0.01)
            if i >= 2 { times.append(Date().timeIntervalSince(t)) }
        }
        var evalTimes: [Double] = []
        for i in 0..<(steps + 1) {
            let t = Date()
            _ = model.forward(x, training: false)
            if i >= 1 { evalTimes.append(Date().timeIntervalSince(t)) }
        }
        let median = times.sorted()[times.count / 2]
        let evalMedian = evalTimes.sorted()[evalTimes.count / 2]
        return Result(model: architecture.rawValue, quantizer: quantizer.kind.rawValue, input: input.description, batch: batch, threads: BLAS.threads,
                      trainImagesPerSecond: Double(batch) / median,
                      evalImagesPerSecond: Double(batch) / evalMedian, trainStepSeconds: median)
    }
}
