import FATNNEngine
import FATNNJobs
import FATNNVocabulary
import Foundation

/// Turns a job config into an engine run and runs it off the cooperative thread pool.
enum JobRunner {
    /// Why a fine-tuning job cannot start from its parent's model.
    struct InitializationFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Engine settings for a job. Total: a validated config names only models, kinds,
    /// parameters, optimizers and schedules of the shared vocabulary, which the engine builds.
    static func plan(_ config: JobConfig) -> (ModelArchitecture, QuantizerSettings, TrainingSettings) {
        let t = config.training
        let settings = TrainingSettings(epochs: t.epochs, batchSize: t.batchSize, learningRate: Float(t.learningRate),
                                        momentum: Float(t.momentum), nesterov: t.nesterov,
                                        weightDecay: Float(t.weightDecay), schedule: t.schedule, optimizer: t.optimizer,
                                        warmupEpochs: t.warmupEpochs ?? 0,
                                        augmentation: Augmentation(cropPadding: t.cropPadding ?? 0, horizontalFlip: t.horizontalFlip ?? false),
                                        quantizerWarmupEpochs: t.quantizerWarmupEpochs ?? 0, seed: UInt64(config.seed))
        return (config.model, QuantizerSettings(kind: config.quantizer.kind, parameters: config.quantizer.params), settings)
    }

    /// Trains and evaluates `config` on `dataset` on a dedicated thread.
    ///
    /// - Parameters:
    ///   - onEpoch: called (on the training thread) after every epoch.
    ///   - stop: checked before each epoch; set it (or cancel the task) to abandon the run.
    ///   - checkpoint: file to resume from if it holds a matching run, and to save the run to after
    ///     every epoch (nil: no checkpoints). A checkpoint that cannot be written is skipped.
    ///   - onResume: called with the epoch a run resumes after.
    ///   - initialModel: the model file of the job ``JobConfig/initFrom`` names, whose weights the
    ///     run starts from (ignored when resuming from a checkpoint).
    /// - Returns: the report, and the trained model as a model file's bytes (nil if the run stopped
    ///   early).
    /// - Throws: ``InitializationFailure`` when `initialModel` does not fit the job.
    static func run(_ config: JobConfig, dataset: Dataset, stop: StopFlag, checkpoint: String? = nil, initialModel: Data? = nil,
                    onResume: @escaping @Sendable (Int) -> Void = { _ in },
                    onEpoch: @escaping @Sendable (EpochStats) -> Void) async throws -> (TrainingReport, Data?) {
        let (arch, quantizer, settings) = plan(config)
        let d = config.dataset
        let split: DataSplit
        if let k = d.folds, let f = d.fold {
            split = DataSplit.kFold(count: dataset.train.count, folds: k, fold: f, seed: UInt64(d.splitSeed), trainLimit: d.trainLimit)
        } else {
            split = DataSplit.holdout(count: dataset.train.count, validationFraction: d.validationFraction,
                                      seed: UInt64(d.splitSeed), trainLimit: d.trainLimit)
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    let shape = dataset.train.shape
                    let model = arch.build(input: shape, classes: dataset.name.classes, seed: settings.seed, quantizer: quantizer)
                    if let initialModel {
                        do {
                            let parent = try ModelFile.decode(initialModel, name: "model of job \(config.initFrom ?? "?")")
                            guard parent.architecture == arch, parent.dataset == dataset.name else {
                                throw InitializationFailure(description: "the model to start from is \(parent.architecture.rawValue) on \(parent.dataset.rawValue), not \(arch.rawValue) on \(dataset.name.rawValue)")
                            }
                            try model.initialize(from: parent.model)
                        } catch let e as InitializationFailure {
                            return continuation.resume(throwing: e)
                        } catch {
                            return continuation.resume(throwing: InitializationFailure(description: "cannot start from the model of job \(config.initFrom ?? "?"): \(error)"))
                        }
                    }
                    var trainer = Trainer(model: model, dataset: dataset, split: split, settings: settings)
                    if let checkpoint, let saved = try? ModelFile.read(from: checkpoint), let state = saved.training,
                       saved.architecture == arch, saved.quantizer == quantizer, saved.dataset == dataset.name, state.epoch < settings.epochs {
                        trainer = Trainer(model: saved.model, dataset: dataset, split: split, settings: settings)
                        trainer.restore(state, optimizerMoments: saved.optimizerMoments)
                        onResume(state.epoch)
                    }
                    let finished = trainer.run(progress: { e in
                        if let checkpoint {
                            var file = ModelFile(architecture: arch, dataset: dataset.name, input: shape, model: trainer.model,
                                                 quantizer: quantizer)
                            file.training = trainer.state
                            file.optimizerMoments = trainer.optimizerMoments
                            try? file.write(to: checkpoint)
                        }
                        onEpoch(e)
                    }, shouldStop: { stop.isSet })
                    var report = finished
                    report.operations = OperationCount(trainer.model, kind: quantizer.kind)
                    if report.stoppedEarly == nil && !stop.isSet {
                        // Every kind: quantized models packed, checked and timed; fp timed on the float
                        // engine. Heartbeats go on meanwhile: the worker's ticker runs until this returns.
                        let (test, _) = dataset.name.normalization.batch(dataset.test, indices: Array(0..<dataset.test.count)[...])
                        report.packed = PackedReport.measure(trainer.model, quantized: quantizer.kind != .fp, test: test)
                    }
                    let trained = report.stoppedEarly == nil
                        ? try? ModelFile(architecture: arch, dataset: dataset.name, input: shape, model: trainer.model, quantizer: quantizer).encoded()
                        : nil
                    continuation.resume(returning: (report, trained))
                }
            }
        } onCancel: {
            stop.set(.shutdown)
        }
    }
}

/// A flag set from one thread and read from another; the first reason given wins.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: AbandonReason?

    var isSet: Bool { lock.withLock { value != nil } }
    var reason: AbandonReason? { lock.withLock { value } }
    func set(_ reason: AbandonReason = .claimLost) { lock.withLock { if value == nil { value = reason } } }
}

extension EpochReport {
    init(_ s: EpochStats) {
        self.init(epoch: s.epoch, trainLoss: s.trainLoss, trainAccuracy: s.trainAccuracy,
                  validationAccuracy: s.validationAccuracy, learningRate: s.learningRate, seconds: s.seconds)
    }
}
