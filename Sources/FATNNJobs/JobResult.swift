/// Per-epoch progress a worker reports while training.
public struct EpochReport: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, validationAccuracy: Double?,
                learningRate: Double, seconds: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validationAccuracy = validationAccuracy
        self.learningRate = learningRate
        self.seconds = seconds
    }

    /// Checks every number is finite and in range (the loss may be NaN or infinite: a diverged
    /// epoch), naming the first bad field relative to the report.
    public func validate() throws(SweepError) {
        guard (0...100_000).contains(epoch) else { throw SweepError(path: "epoch", "must be in 0...100000, got \(epoch)") }
        guard trainLoss.isNaN || trainLoss >= 0 else { throw SweepError(path: "trainLoss", "must be ≥ 0 or NaN, got \(trainLoss)") }
        guard (0...1).contains(trainAccuracy) else { throw SweepError(path: "trainAccuracy", "must be in [0, 1], got \(trainAccuracy)") }
        if let v = validationAccuracy, !(0...1).contains(v) { throw SweepError(path: "validationAccuracy", "must be in [0, 1], got \(v)") }
        guard learningRate.isFinite, learningRate >= 0 else { throw SweepError(path: "learningRate", "must be a finite number ≥ 0, got \(learningRate)") }
        guard (0...1e9).contains(seconds) else { throw SweepError(path: "seconds", "must be in 0...1e9, got \(seconds)") }
    }
}

/// The final outcome of a successful job.
public struct JobResult: Codable, Sendable, Equatable {
    /// Accuracy on the dataset's official test set.
    public var testAccuracy: Double
    /// Mean cross-entropy on the test set.
    public var testLoss: Double
    /// Accuracy on the validation holdout (nil when there is none).
    public var validationAccuracy: Double?
    /// Training loss of the last epoch.
    public var trainLoss: Double
    /// Training wall time, seconds (evaluation excluded).
    public var trainSeconds: Double
    /// Training throughput.
    public var imagesPerSecond: Double
    /// Every epoch's progress.
    public var epochs: [EpochReport]
    /// Host that ran the job.
    public var host: String
    /// Engine threads used.
    public var threads: Int
    /// For quantized jobs: whether the packed network equals the trained one bit for bit
    /// (codes at every quantized conv, logits, predictions) on the whole test set.
    public var packedExact: Bool?
    /// Packed and float inference speed measured by the worker (for `fp` jobs the float engine's),
    /// or why the model could not be packed.
    public var packed: PackedInference?
    /// The worker's CPU model.
    public var cpu: String?
    /// The engine's source version the worker was built from.
    public var codeVersion: CodeVersion?
    /// Work of one forward pass for one image: MACs and bit-operations.
    public var operations: Operations?

    public init(testAccuracy: Double, testLoss: Double, validationAccuracy: Double?, trainLoss: Double,
                trainSeconds: Double, imagesPerSecond: Double, epochs: [EpochReport], host: String, threads: Int) {
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.validationAccuracy = validationAccuracy
        self.trainLoss = trainLoss
        self.trainSeconds = trainSeconds
        self.imagesPerSecond = imagesPerSecond
        self.epochs = epochs
        self.host = host
        self.threads = threads
    }

    /// Checks that every number is finite and in its range, naming the first bad field.
    public func validate() throws(SweepError) {
        func unit(_ v: Double?, _ name: String) throws(SweepError) {
            if let v, !(v >= 0 && v <= 1) { throw SweepError(path: "result.\(name)", "must be in [0, 1], got \(v)") }
        }
        func nonNegative(_ v: Double, _ name: String) throws(SweepError) {
            if !(v >= 0 && v.isFinite) { throw SweepError(path: "result.\(name)", "must be a finite number ≥ 0, got \(v)") }
        }
        func bounded(_ v: Double, _ name: String, _ range: ClosedRange<Double>) throws(SweepError) {
            if !range.contains(v) { throw SweepError(path: "result.\(name)", "must be a number in \(range.lowerBound)...\(range.upperBound), got \(v)") }
        }
        try unit(testAccuracy, "testAccuracy")
        if let packed { try packed.validate() }
        if packed?.error != nil && packedExact != nil {
            throw SweepError(path: "result.packedExact", "must be absent when packed.error says the model could not be packed")
        }
        try unit(validationAccuracy, "validationAccuracy")
        try nonNegative(testLoss, "testLoss")
        try nonNegative(trainLoss, "trainLoss")
        try bounded(trainSeconds, "trainSeconds", 0...1e9)
        try bounded(imagesPerSecond, "imagesPerSecond", 0...1e12)
        guard (1...4096).contains(threads) else { throw SweepError(path: "result.threads", "must be in 1...4096, got \(threads)") }
        guard epochs.count <= 10_000 else { throw SweepError(path: "result.epochs", "too many epochs (\(epochs.count))") }
        for (i, e) in epochs.enumerated() {
            do throws(SweepError) { try e.validate() } catch {
                throw SweepError(path: "result.epochs[\(i)].\(error.path)", error.message)
            }
        }
        if let o = operations {
            guard o.floatMACs >= 0, o.quantizedMACs >= 0, o.bitOps >= 0, o.bitOps <= 1e18 else {
                throw SweepError(path: "result.operations", "counts must be ≥ 0 (bitOps at most 1e18)")
            }
        }
        guard host.count <= 255 else { throw SweepError(path: "result.host", "longer than 255 characters") }
        guard (cpu?.count ?? 0) <= 255 else { throw SweepError(path: "result.cpu", "longer than 255 characters") }
        guard (codeVersion?.commit.count ?? 0) <= 100 else { throw SweepError(path: "result.codeVersion.commit", "longer than 100 characters") }
    }
}

/// Multiply-accumulates and bit-operations of one forward pass for one image
/// (`bitOps = MACs x weight bits x activation bits`, float layers 32 x 32).
public struct Operations: Codable, Sendable, Equatable {
    public var floatMACs: Int
    public var quantizedMACs: Int
    public var bitOps: Double
    public init(floatMACs: Int, quantizedMACs: Int, bitOps: Double) {
        self.floatMACs = floatMACs; self.quantizedMACs = quantizedMACs; self.bitOps = bitOps
    }
}

/// Which source the engine that produced a result was built from.
public struct CodeVersion: Codable, Sendable, Equatable {
    /// The git commit (40 hex digits), or `unknown`.
    public var commit: String
    /// Whether the working tree had uncommitted changes to tracked files.
    public var dirty: Bool
    public init(commit: String, dirty: Bool) { self.commit = commit; self.dirty = dirty }
}

/// Inference speed of a job's trained model on the worker's CPU: the packed network against the
/// float network it came from; for a full-precision job the float engine alone (``kernel`` is
/// `float`, and the packed latencies are the float ones, so every kind sits on one speed axis);
/// for a quantized model that could not be packed only ``error``.
public struct PackedInference: Codable, Sendable, Equatable {
    /// The packed kernels' CPU path (`scalar`, `avx2`, `avx512`, `neon`); nil for `fp` and errors.
    public var kernelPath: String?
    /// The packed kernel kind (`fatnn`, `fatnn-a2`, `2bit-signed`, `binary`, or `float` for `fp`).
    public var kernel: String?
    /// The worker's CPU model.
    public var cpu: String
    /// Test images the bit-exactness check compared.
    public var testImages: Int?
    /// Packed (for `fp`: float): median seconds for a batch of 1 and of 64.
    public var latencyBatch1: Double?
    public var latencyBatch64: Double?
    /// Float network in eval mode: median seconds for a batch of 1 and of 64.
    public var floatLatencyBatch1: Double?
    public var floatLatencyBatch64: Double?
    /// Why the model could not be packed (then there are no latencies).
    public var error: String?

    public init(kernelPath: String?, kernel: String?, cpu: String, testImages: Int?, latencyBatch1: Double?, latencyBatch64: Double?,
                floatLatencyBatch1: Double?, floatLatencyBatch64: Double?, error: String? = nil) {
        self.kernelPath = kernelPath; self.kernel = kernel; self.cpu = cpu; self.testImages = testImages
        self.latencyBatch1 = latencyBatch1; self.latencyBatch64 = latencyBatch64
        self.floatLatencyBatch1 = floatLatencyBatch1; self.floatLatencyBatch64 = floatLatencyBatch64
        self.error = error
    }

    /// A model that could not be packed, and why.
    public init(cpu: String, error: String) {
        self.init(kernelPath: nil, kernel: nil, cpu: cpu, testImages: nil, latencyBatch1: nil, latencyBatch64: nil,
                  floatLatencyBatch1: nil, floatLatencyBatch64: nil, error: error)
    }

    /// Packed throughput at batch 64, images per second.
    public var imagesPerSecond: Double? { latencyBatch64.map { 64 / $0 } }

    /// Checks the numbers are finite and positive (all four present unless there is an error),
    /// naming the first bad field.
    public func validate() throws(SweepError) {
        let figures = [(latencyBatch1, "latencyBatch1"), (latencyBatch64, "latencyBatch64"),
                       (floatLatencyBatch1, "floatLatencyBatch1"), (floatLatencyBatch64, "floatLatencyBatch64")]
        for (v, name) in figures {
            guard let v else {
                if error == nil { throw SweepError(path: "result.packed.\(name)", "is missing (required without an error)") }
                continue
            }
            // A tenth of a microsecond to a day: anything outside is not a measurement.
            if !(v >= 1e-7 && v <= 86_400) { throw SweepError(path: "result.packed.\(name)", "must be a number of seconds in 1e-7...86400, got \(v)") }
        }
        if let testImages, !(0...1_000_000_000).contains(testImages) {
            throw SweepError(path: "result.packed.testImages", "must be in 0...1000000000, got \(testImages)")
        }
        if let kernelPath, !["scalar", "avx2", "avx512", "neon"].contains(kernelPath) {
            throw SweepError(path: "result.packed.kernelPath", "must be scalar, avx2, avx512 or neon, got \(kernelPath)")
        }
        guard (kernel?.count ?? 0) <= 64 else { throw SweepError(path: "result.packed.kernel", "longer than 64 characters") }
        guard cpu.count <= 255 else { throw SweepError(path: "result.packed.cpu", "longer than 255 characters") }
        guard (error?.count ?? 0) <= 1000 else { throw SweepError(path: "result.packed.error", "longer than 1000 characters") }
    }
}
