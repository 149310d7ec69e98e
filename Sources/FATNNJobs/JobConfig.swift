import FATNNVocabulary

/// Everything that defines one experiment: the unit the coordinator stores, hashes and hands out.
///
/// Two configs that are equal after defaults are filled in are the same experiment (same
/// `configHash`). Create one from user input with ``JobConfig/validated(from:path:)``.
public struct JobConfig: Codable, Sendable, Hashable {
    /// Dataset and split.
    public struct DatasetSpec: Codable, Sendable, Hashable {
        /// Dataset name.
        public var name: DatasetName
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
        /// Quantizer kind.
        public var kind: QuantizerKind
        /// Numeric parameters of the kind (only those ``QuantizerKind/parameters`` lists).
        public var params: [QuantizerParameter: Double]
    }

    /// Optimizer and schedule.
    public struct TrainingSpec: Codable, Sendable, Hashable {
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Double
        public var optimizer: OptimizerKind
        public var momentum: Double
        public var nesterov: Bool
        public var weightDecay: Double
        public var schedule: LearningRateSchedule
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

    /// Model architecture.
    public var model: ModelArchitecture
    public var dataset: DatasetSpec
    public var quantizer: QuantizerSpec
    public var training: TrainingSpec
    /// Seed of initialization and data order.
    public var seed: Int
    /// Config hash of the job whose trained model this one starts from (fine-tuning), or nil to
    /// start from the seed's initialization. The coordinator hands the job out only after that
    /// job has succeeded and stored its model.
    public var initFrom: String?

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
        let model = try r.term("model", as: ModelArchitecture.self)
        guard var d = try r.object("dataset") else { throw SweepError(path: r.at("dataset"), "required field is missing") }
        let explicitFraction = d.has("validationFraction")
        var dataset = DatasetSpec(
            name: try d.term("name", as: DatasetName.self),
            validationFraction: try d.double("validationFraction", default: 0.1, min: 0, max: 0.5),
            splitSeed: try d.int("splitSeed", default: 0, min: 0, max: Int(Int32.max)),
            trainLimit: try d.optionalInt("trainLimit", min: 2, max: 10_000_000),
            folds: try d.optionalInt("folds", min: 2, max: 100),
            fold: try d.optionalInt("fold", min: 0, max: 99))
        if let k = dataset.folds {
            // A stored k-fold config carries validationFraction = 1/k (defaults are written
            // out); read back (`revalidated`, the worker's check of a claim) it must pass.
            guard !explicitFraction || dataset.validationFraction == 1 / Double(k) else {
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
        let kind = try q.term("kind", default: QuantizerKind.fp)
        if !model.supports(kind) {
            throw SweepError(path: q.at("kind"), "model mlp has no convolutions to quantize (its first and last layers stay full precision); use cnn-s or resnet20")
        }
        var params: [QuantizerParameter: Double] = [:]
        if var p = try q.object("params") {
            let allowed = kind.parameters
            for (k, v) in p.all() {
                guard let parameter = QuantizerParameter(rawValue: k), allowed.contains(parameter) else {
                    throw SweepError(path: p.at(k), allowed.isEmpty ? "quantizer kind '\(kind.rawValue)' takes no parameters"
                                     : "unknown parameter of quantizer kind '\(kind.rawValue)'; allowed: \(allowed.map(\.rawValue).sorted().joined(separator: ", "))")
                }
                guard case .number(let n) = v, n.isFinite else { throw SweepError(path: p.at(k), "expected a number, got \(v.typeName)") }
                if let problem = parameter.problem(with: n) { throw SweepError(path: p.at(k), problem) }
                params[parameter] = n
            }
        }
        try q.finish()
        guard var t = try r.object("training") else { throw SweepError(path: r.at("training"), "required field is missing") }
        var training = TrainingSpec(
            epochs: try t.int("epochs", min: 1, max: 1000),
            batchSize: try t.int("batchSize", default: 128, min: 2, max: 65536),
            learningRate: try t.double("learningRate", min: 0, max: 10, exclusiveMin: true),
            optimizer: try t.term("optimizer", default: OptimizerKind.sgd),
            momentum: try t.double("momentum", default: 0.9, min: 0, max: 1, exclusiveMax: true),
            nesterov: try t.bool("nesterov", default: false),
            weightDecay: try t.double("weightDecay", default: 5e-4, min: 0, max: 1),
            schedule: try t.term("schedule", default: LearningRateSchedule.cosine),
            warmupEpochs: try t.int("warmupEpochs", default: 0, min: 0, max: 1000),
            cropPadding: try t.int("cropPadding", default: 0, min: 0, max: 16),
            horizontalFlip: try t.bool("horizontalFlip", default: false),
            quantizerWarmupEpochs: try t.int("quantizerWarmupEpochs", default: 0, min: 0, max: 1000))
        if training.quantizerWarmupEpochs! > 0 {
            guard kind.quantizes else {
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
