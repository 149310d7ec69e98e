import ArgumentParser
import FATNNEngine
import FATNNVocabulary
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model on a dataset and report test accuracy.",
        discussion: "Deterministic: the same seed and --threads give the same run. Saves the model with --output for 'fatnn eval'.")

    @Option(help: "Model: \(ModelArchitecture.names).")
    var model: String = "mlp"

    @Option(help: "Dataset: \(DatasetName.names).")
    var dataset: String = "fashion-mnist"

    @Option(help: ArgumentHelp("Directory holding the dataset's IDX files (gzip or raw).", valueName: "dir"))
    var dataDir: String?

    @Option var epochs: Int = 3
    @Option var batchSize: Int = 128
    @Option(name: .customLong("lr"), help: "Base learning rate.") var learningRate: Float = 0.1
    @Option var momentum: Float = 0.9
    @Option var weightDecay: Float = 5e-4
    @Option(help: "Learning-rate schedule: \(LearningRateSchedule.names).") var schedule: String = LearningRateSchedule.cosine.rawValue
    @Option(help: "Optimizer: \(OptimizerKind.names).") var optimizer: String = OptimizerKind.sgd.rawValue
    @Option(help: "Epochs of linear learning-rate warm-up.") var warmupEpochs: Int = 0
    @Option(help: "Random-crop padding in pixels (0: no crop).") var cropPadding: Int = 0
    @Flag(help: "Random horizontal flips.") var horizontalFlip = false
    @Option var seed: UInt64 = 0
    @Option(help: "Fraction of the training set held out for validation.") var valFraction: Double = 0.1
    @Option(help: "Train on at most this many images.") var trainLimit: Int?
    @Option(help: "k-fold split with this many folds (replaces --val-fraction).") var folds: Int?
    @Option(help: "With --folds: which fold validates (0-based).") var fold: Int = 0
    @Option(help: "Engine threads (OpenBLAS).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp("Save the trained model here.", valueName: "file")) var output: String?
    @Option(help: "Quantizer: \(QuantizerKind.names). All convolutions but the first are quantized.")
    var quantizer: String = QuantizerKind.fp.rawValue
    @Option(help: "FATNN activation steps' initial α (thresholds 0.5/α and 1/α + 0.5/α; default \(Self.defaultText(.activationInit)), allowed \(Self.valuesText(.activationInit))).")
    var activationInit: Double?
    @Flag(help: "FATNN: set the activation steps from the first training batch, where tnn and lsq2 start their thresholds (replaces --activation-init).")
    var activationInitFromData = false
    @Option(help: "FATNN weight thresholds' initial α (thresholds ±0.5/α on standardized weights; default \(Self.defaultText(.weightInit)), allowed \(Self.valuesText(.weightInit))).")
    var weightInit: Double?
    @Flag(help: "FATNN: activation steps per input channel instead of per layer.") var perChannelActivations = false
    @Flag(help: "FATNN: weight thresholds per output channel instead of per layer.") var perChannelWeights = false
    @Option(help: "Epochs at the start with the quantizers bypassed (full-precision training).") var quantizerWarmupEpochs: Int = 0
    @Option(help: ArgumentHelp("Start from this model file's weights (e.g. a full-precision model of the same architecture, to fine-tune it quantized).", valueName: "file"))
    var initFrom: String?

    func validate() throws {
        guard ModelArchitecture(rawValue: model) != nil else { throw ValidationError("--model '\(model)' is unknown; known: \(ModelArchitecture.names)") }
        guard DatasetName(rawValue: dataset) != nil else { throw ValidationError("--dataset '\(dataset)' is unknown; known: \(DatasetName.names)") }
        guard LearningRateSchedule(rawValue: schedule) != nil else { throw ValidationError("--schedule '\(schedule)' is unknown; known: \(LearningRateSchedule.names)") }
        guard (0...16).contains(cropPadding) else { throw ValidationError("--crop-padding must be in 0...16, got \(cropPadding)") }
        guard OptimizerKind(rawValue: optimizer) != nil else { throw ValidationError("--optimizer '\(optimizer)' is unknown; known: \(OptimizerKind.names)") }
        guard warmupEpochs >= 0 && warmupEpochs < epochs else { throw ValidationError("--warmup-epochs must be in 0..<--epochs, got \(warmupEpochs)") }
        guard (1...1000).contains(epochs) else { throw ValidationError("--epochs must be in 1...1000, got \(epochs)") }
        guard (2...65536).contains(batchSize) else { throw ValidationError("--batch-size must be in 2...65536, got \(batchSize)") }
        guard learningRate > 0 && learningRate <= 10 else { throw ValidationError("--lr must be in (0, 10], got \(learningRate)") }
        guard momentum >= 0 && momentum < 1 else { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
        guard weightDecay >= 0 && weightDecay <= 1 else { throw ValidationError("--weight-decay must be in [0, 1], got \(weightDecay)") }
        guard valFraction >= 0 && valFraction <= 0.5 else { throw ValidationError("--val-fraction must be in [0, 0.5], got \(valFraction)") }
        if let folds, !(2...100).contains(folds) || !(0..<folds).contains(fold) {
            throw ValidationError("--folds must be in 2...100 and --fold in 0..<--folds, got \(folds) and \(fold)")
        }
        if let trainLimit, trainLimit < 2 { throw ValidationError("--train-limit must be at least 2, got \(trainLimit)") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256, got \(threads)") }
        guard let kind = QuantizerKind(rawValue: quantizer) else {
            throw ValidationError("--quantizer '\(quantizer)' is unknown; known: \(QuantizerKind.names)")
        }
        guard ModelArchitecture(rawValue: model)?.supports(kind) == true else {
            throw ValidationError("--model \(model) has no convolutions to quantize; use cnn-s or resnet20")
        }
        for (parameter, flag, value) in quantizerFlags {
            guard kind.parameters.contains(parameter) else {
                let takers = QuantizerKind.allCases.filter { $0.parameters.contains(parameter) }.map(\.rawValue)
                throw ValidationError("\(flag) applies to --quantizer \(takers.joined(separator: " or ")), not \(quantizer)")
            }
            if let problem = parameter.problem(with: value) { throw ValidationError("\(flag): \(problem)") }
        }
        guard quantizerWarmupEpochs == 0 || (kind.quantizes && quantizerWarmupEpochs < epochs) else {
            throw ValidationError("--quantizer-warmup-epochs needs a quantizer and must be less than --epochs, got \(quantizerWarmupEpochs)")
        }
        guard quantizerWarmupEpochs >= 0 else { throw ValidationError("--quantizer-warmup-epochs must not be negative") }
    }

    /// The quantizer parameters given on the command line (``QuantizerParameter``), with their flags.
    var quantizerFlags: [(parameter: QuantizerParameter, flag: String, value: Double)] {
        let given: [(QuantizerParameter, String, Double?)] = [
            (.activationInit, "--activation-init", activationInit),
            (.activationInitFromData, "--activation-init-from-data", activationInitFromData ? 1 : nil),
            (.weightInit, "--weight-init", weightInit),
            (.perChannelActivations, "--per-channel-activations", perChannelActivations ? 1 : nil),
            (.perChannelWeights, "--per-channel-weights", perChannelWeights ? 1 : nil),
        ]
        return given.compactMap { p, flag, v in v.map { (p, flag, $0) } }
    }

    /// The engine's settings: the kind, with the parameters given and defaults for the rest.
    var quantizerSettings: QuantizerSettings {
        // validate() has checked the kind.
        QuantizerSettings(kind: QuantizerKind(rawValue: quantizer) ?? .fp,
                          parameters: Dictionary(quantizerFlags.map { ($0.parameter, $0.value) }, uniquingKeysWith: { a, _ in a }))
    }

    static func defaultText(_ p: QuantizerParameter) -> String { String(format: "%g", p.defaultValue) }

    static func valuesText(_ p: QuantizerParameter) -> String {
        switch p.values {
        case .number(let r): String(format: "%g...%g", r.lowerBound, r.upperBound)
        case .onOff: "on/off"
        }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let arch = ModelArchitecture(rawValue: model)!
        let data = try Dataset.load(DatasetName(rawValue: dataset)!, directory: dataDir)
        let split = folds.map { DataSplit.kFold(count: data.train.count, folds: $0, fold: fold, seed: seed, trainLimit: trainLimit) }
            ?? DataSplit.holdout(count: data.train.count, validationFraction: valFraction, seed: seed, trainLimit: trainLimit)
        let settings = TrainingSettings(epochs: epochs, batchSize: batchSize, learningRate: learningRate, momentum: momentum,
                                        weightDecay: weightDecay, schedule: LearningRateSchedule(rawValue: schedule)!,
                                        optimizer: OptimizerKind(rawValue: optimizer)!, warmupEpochs: warmupEpochs,
                                        augmentation: Augmentation(cropPadding: cropPadding, horizontalFlip: horizontalFlip),
                                        quantizerWarmupEpochs: quantizerWarmupEpochs, seed: seed)
        let net = arch.build(input: data.train.shape, classes: data.name.classes, seed: seed, quantizer: quantizerSettings)
        if let initFrom {
            let source = try ModelFile.read(from: initFrom)
            guard source.architecture == arch, source.dataset == data.name else {
                throw CommandError("\(initFrom): holds \(source.architecture.rawValue) on \(source.dataset.rawValue), not \(model) on \(dataset)")
            }
            do {
                let kept = try net.initialize(from: source.model)
                print("initialized from \(initFrom)\(kept.isEmpty ? "" : "; \(kept.count) quantizer tensor(s) keep their initial values")")
            } catch { throw CommandError("\(initFrom): \(error)") }
        }
        print("\(model) on \(dataset): \(split.trainIndices.count) train, \(split.validationIndices.count) val, \(data.test.count) test images; \(threads) thread(s)")
        let report = Trainer(model: net, dataset: data, split: split, settings: settings).run(progress: { e in
            print(String(format: "epoch %d/%d  loss %.4f  train acc %.2f%%  val acc %@  %.1f s",
                         e.epoch, epochs, e.trainLoss, e.trainAccuracy * 100,
                         e.validationAccuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "-", e.seconds))
        })
        if case .diverged(let epoch)? = report.stoppedEarly {
            throw CommandError("training diverged at epoch \(epoch) (loss is not finite); lower --lr")
        }
        print(String(format: "test accuracy %.2f%%  (test loss %.4f, %.0f images/s)", report.testAccuracy * 100, report.testLoss, report.imagesPerSecond))
        if let output {
            try ModelFile(architecture: arch, dataset: data.name, input: data.train.shape, model: net, quantizer: quantizerSettings).write(to: output)
            print("saved \(output)")
        }
    }
}
