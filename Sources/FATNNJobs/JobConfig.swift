/// Everything that defines one experiment: the unit the coordinator stores, hashes and hands out.
///
/// Two configs that are equal after defaults are filled in are the same experiment (same
/// `configHash`). Create one from user input with ``JobConfig/validated(from:path:)``.
public struct JobConfig: Codable, Sendable, Hashable {
    /// Dataset and split.
    public struct DatasetSpec: Codable, Sendable, Hashable {
        /// Dataset name: one of ``JobConfig/datasets``.
        public var name: String
        /// Fraction of the official training set held out for validation, in [0, 0.5].
        public var validationFraction: Double
        /// Seed that chooses the holdout.
        public var splitSeed: Int
        /// Train on at most this many images of the training split (nil: all).
        public var trainLimit: Int?
        /// k of a k-fold split (nil: holdout by `validationFraction`, which is then 1/k).
        public var folds: Int?
        /// Which fold validates, `0..<folds`.
        public var fold: Int?
    }

    /// Quantizer kind and parameters.
    public struct QuantizerSpec: Codable, Sendable, Hashable {
        /// One of ``JobConfig/quantizerKinds``.
        public var kind: String
        /// Numeric parameters of the kind.
        public var params: [String: Double]
    }

    /// Optimizer and schedule.
    public struct TrainingSpec: Codable, Sendable, Hashable {
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Double
        /// One of ``JobConfig/optimizers``.
        public var optimizer: String
        public var momentum: Double
        public var nesterov: Bool
        public var weightDecay: Double
        /// One of ``JobConfig/schedules``.
        public var schedule: String
        /// Epochs of linear learning-rate warm-up; nil when 0, so that configs written before
        /// the field existed keep their hash.
        public var warmupEpochs: Int?
        /// Random-crop padding in pixels; nil when 0 (no crop).
        public var cropPadding: Int?
        /// Random horizontal flips; nil when false.
        public var horizontalFlip: Bool?
        /// Epochs at the start with the quantizers bypassed (full-precision training); nil when 0.
        public var quantizerWarmupEpochs: Int?
    }

    /// Model architecture: one of ``JobConfig/models``.
    public var model: String
    public var dataset: DatasetSpec
    public var quantizer: QuantizerSpec
    public var training: TrainingSpec
    /// Seed of initialization and data order.
    public var seed: Int
    /// Config hash of the job whose trained model this one starts from (fine-tuning), or nil to
    /// start from the seed's initialization. The coordinator hands the job out only after that
    /// job has succeeded and stored its model.
    public var initFrom: String?

    /// Allowed values, kept in one place for validation, help and the JSON Schema.
    public static let models = ["mlp", "cnn-s", "resnet20"]
    public static let datasets = ["fashion-mnist", "mnist", "cifar10"]
    public static let quantizerKinds = ["fp", "fatnn", "tnn", "lsq2", "fatnn-a2", "binary"]
    /// The `quantizer.params` each kind accepts, with their allowed values (switches are 0 or 1).
    public static let quantizerParams: [String: [String: ClosedRange<Double>]] = {
        let fatnn: [String: ClosedRange<Double>] = [
            "activationInit": 0.01...100, "activationInitFromData": 0...1, "weightInit": 0.01...100, "perChannelActivations": 0...1, "perChannelWeights": 0...1,
        ]
        return ["fp": [:], "fatnn": fatnn, "fatnn-a2": fatnn, "tnn": [:], "lsq2": [:], "binary": [:]]
    }()
    /// Parameters that are switches: 0 (off) or 1 (on).
    public static let quantizerSwitches: Set<String> = ["activationInitFromData", "perChannelActivations", "perChannelWeights"]
    public static let optimizers = ["sgd", "adam"]
    public static let schedules = ["constant", "cosine"]

    /// Dotted key paths a sweep's `grid` may vary (`quantizer.params.NAME` is also allowed).
    public static let gridKeyPaths = [
        "model", "dataset.name", "dataset.validationFraction", "dataset.splitSeed", "dataset.trainLimit",
        "dataset.folds", "dataset.fold",
        "quantizer.kind", "training.epochs", "training.batchSize", "training.learningRate",
        "training.optimizer", "training.momentum", "training.nesterov", "training.weightDecay",
        "training.schedule", "training.warmupEpochs", "training.cropPadding", "training.horizontalFlip",
        "training.quantizerWarmupEpochs",
    ]

    /// Validates a job document, filling defaults.
    ///
    /// - Parameter path: JSON path of `json` inside its file, used in errors.
    /// - Throws: ``SweepError`` naming the first invalid field and what is allowed.
    /// Whether `text` has a config hash's form: 64 lowercase hex digits.
    public static func isConfigHash(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy { "0123456789abcdef".contains($0) }
    }

    public static func validated(from json: JSONValue, path: String = "") throws(SweepError) -> JobConfig {
        var r = try ObjectReader(json, path: path)
        let model = try r.string("model", allowed: models)
        guard var d = try r.object("dataset") else { throw SweepError(path: r.at("dataset"), "required field is missing") }
        let explicitFraction = d.has("validationFraction")
        var dataset = DatasetSpec(
            name: try d.string("name", allowed: datasets),
            validationFraction: try d.double("validationFraction", default: 0.1, min: 0, max: 0.5),
            splitSeed: try d.int("splitSeed", default: 0, min: 0, max: Int(Int32.max)),
            trainLimit: try d.optionalInt("trainLimit", min: 2, max: 10_000_000),
            folds: try d.optionalInt("folds", min: 2, max: 100),
            fold: try d.optionalInt("fold", min: 0, max: 99))
        if let k = dataset.folds {
            guard !explicitFraction else {
                throw SweepError(path: d.at("folds"), "give either validationFraction (holdout) or folds (k-fold), not both")
            }
            guard let f = dataset.fold, f < k else {
                throw SweepError(path: d.at("fold"), "\(dataset.fold.map { "\($0) is out of range; " } ?? "required with folds; ")allowed: 0...\(k - 1)")
            }
            dataset.validationFraction = 1 / Double(k)
        } else if dataset.fold != nil {
            throw SweepError(path: d.at("fold"), "fold needs folds (k of the k-fold split)")
        }
        try d.finish()
        let emptyQuantizer = try ObjectReader(.object([:]), path: r.at("quantizer"))
        var q = try r.object("quantizer") ?? emptyQuantizer
        let kind = try q.string("kind", default: "fp", allowed: quantizerKinds)
        if kind != "fp" && model == "mlp" {
            throw SweepError(path: q.at("kind"), "model mlp has no convolutions to quantize (its first and last layers stay full precision); use cnn-s or resnet20")
        }
        var params: [String: Double] = [:]
        if var p = try q.object("params") {
            let allowed = quantizerParams[kind] ?? [:]
            for (k, v) in p.all() {
                guard let range = allowed[k] else {
                    throw SweepError(path: p.at(k), allowed.isEmpty ? "quantizer kind '\(kind)' takes no parameters"
                                     : "unknown parameter of quantizer kind '\(kind)'; allowed: \(allowed.keys.sorted().joined(separator: ", "))")
                }
                guard case .number(let n) = v, n.isFinite else { throw SweepError(path: p.at(k), "expected a number, got \(v.typeName)") }
                if quantizerSwitches.contains(k) {
                    guard n == 0 || n == 1 else { throw SweepError(path: p.at(k), "\(n) is not a switch value; use 0 or 1") }
                } else {
                    guard range.contains(n) else { throw SweepError(path: p.at(k), "\(n) is out of range \(range.lowerBound)...\(range.upperBound)") }
                }
                params[k] = n
            }
        }
        try q.finish()
        guard var t = try r.object("training") else { throw SweepError(path: r.at("training"), "required field is missing") }
        var training = TrainingSpec(
            epochs: try t.int("epochs", min: 1, max: 1000),
            batchSize: try t.int("batchSize", default: 128, min: 2, max: 65536),
            learningRate: try t.double("learningRate", min: 0, max: 10, exclusiveMin: true),
            optimizer: try t.string("optimizer", default: "sgd", allowed: optimizers),
            momentum: try t.double("momentum", default: 0.9, min: 0, max: 1, exclusiveMax: true),
            nesterov: try t.bool("nesterov", default: false),
            weightDecay: try t.double("weightDecay", default: 5e-4, min: 0, max: 1),
            schedule: try t.string("schedule", default: "cosine", allowed: schedules),
            warmupEpochs: try t.int("warmupEpochs", default: 0, min: 0, max: 1000),
            cropPadding: try t.int("cropPadding", default: 0, min: 0, max: 16),
            horizontalFlip: try t.bool("horizontalFlip", default: false),
            quantizerWarmupEpochs: try t.int("quantizerWarmupEpochs", default: 0, min: 0, max: 1000))
        if training.quantizerWarmupEpochs! > 0 {
            guard kind != "fp" else {
                throw SweepError(path: t.at("quantizerWarmupEpochs"), "needs a quantizer; kind 'fp' has none to bypass")
            }
            guard training.quantizerWarmupEpochs! < training.epochs else {
                throw SweepError(path: t.at("quantizerWarmupEpochs"), "\(training.quantizerWarmupEpochs!) warm-up epochs leave no quantized training; must be less than epochs (\(training.epochs))")
            }
        }
        if training.quantizerWarmupEpochs == 0 { training.quantizerWarmupEpochs = nil }
        if training.warmupEpochs! >= training.epochs {
            throw SweepError(path: t.at("warmupEpochs"), "\(training.warmupEpochs!) warm-up epochs leave no training after them; must be less than epochs (\(training.epochs))")
        }
        if training.warmupEpochs == 0 { training.warmupEpochs = nil }
        if training.cropPadding == 0 { training.cropPadding = nil }
        if training.horizontalFlip == false { training.horizontalFlip = nil }
        try t.finish()
        let seed = try r.int("seed", default: 0, min: 0, max: Int(Int32.max))
        var initFrom: String?
        if r.has("initFrom") {
            let hash = try r.string("initFrom")
            guard isConfigHash(hash) else {
                throw SweepError(path: r.at("initFrom"), "expected the 64-character lowercase hex config hash of the job to start from")
            }
            initFrom = hash
        } else {
            _ = r.raw("initFrom")  // null is the same as absent
        }
        try r.finish()
        return JobConfig(model: model, dataset: dataset, quantizer: QuantizerSpec(kind: kind, params: params),
                         training: training, seed: seed, initFrom: initFrom)
    }
}
