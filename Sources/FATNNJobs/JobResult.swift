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
        try unit(testAccuracy, "testAccuracy")
        try unit(validationAccuracy, "validationAccuracy")
        try nonNegative(trainSeconds, "trainSeconds")
        try nonNegative(testLoss, "testLoss")
        try nonNegative(trainLoss, "trainLoss")
        try nonNegative(imagesPerSecond, "imagesPerSecond")
        guard epochs.count <= 10_000 else { throw SweepError(path: "result.epochs", "too many epochs (\(epochs.count))") }
        guard host.count <= 255 else { throw SweepError(path: "result.host", "longer than 255 characters") }
    }
}
