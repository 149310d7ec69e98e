import FATNNEngine
import FATNNJobs
import FATNNVocabulary
import Foundation

/// Turns a job config into an engine run: the one way a config is run, by the worker (off the
/// cooperative thread pool, ``run(_:dataset:stop:checkpoint:initialModel:onResume:onEpoch:)``)
/// and by `fatnn train` (on its own thread, ``train(_:dataset:stop:checkpoint:initialModel:initialModelName:measurePacked:onInitialized:onResume:onEpoch:)``).
public enum JobRunner {
    /// Why a fine-tuning run cannot start from the model it was given.
    public struct InitializationFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Engine settings for a job. Total: a validated config names only models, kinds,
    /// parameters, optimizers and schedules of the shared vocabulary, which the engine builds.
    public static func plan(_ config: JobConfig) -> (ModelArchitecture, QuantizerSettings, TrainingSettings) {
        let t = config.training
        let settings = TrainingSettings(epochs: t.epochs, batchSize: t.batchSize, learningRate: Float(t.learningRate),
                                        momentum: Float(t.momentum), nesterov: t.nesterov,
                                        weightDecay: Float(t.weightDecay), schedule: t.schedule, optimizer: t.optimizer,
                                        warmupEpochs: t.warmupEpochs ?? 0,
                                        augmentation: Augmentation(cropPadding: t.cropPadding ?? 0, horizontalFlip: t.horizontalFlip ?? false),
                                        quantizerWarmupEpochs: t.quantizerWarmupEpochs ?? 0, seed: UInt64(config.seed))
        return (config.model, QuantizerSettings(kind: config.quantizer.kind, parameters: config.quantizer.params), settings)
    }

    /// The job's holdout or k-fold split of a training set of `count` images (`dataset.splitSeed`).
    public static func split(_ config: JobConfig, count: Int) -> DataSplit {
        let d = config.dataset
        if let k = d.folds, let f = d.fold {
            return DataSplit.kFold(count: count, folds: k, fold: f, seed: UInt64(d.splitSeed), trainLimit: d.trainLimit)
        }
        return DataSplit.holdout(count: count, validationFraction: d.validationFraction, seed: UInt64(d.splitSeed), trainLimit: d.trainLimit)
    }

    /// Trains and evaluates `config` on `dataset` on the calling thread.
    ///
    /// - Parameters:
    ///   - stop: checked before each epoch; set it to abandon the run.
    ///   - checkpoint: file to resume from if it holds a matching run, and to save the run to after
    ///     every epoch (nil: no checkpoints). A checkpoint that cannot be written is skipped.
    ///   - initialModel: a model file's bytes whose weights the run starts from (fine-tuning;
    ///     ignored when resuming from a checkpoint), and its name in errors (default: the model
    ///     of the job `initFrom` names).
    ///   - measurePacked: after a finished run, pack the model, check it bit for bit and time it
    ///     (``TrainingReport/packed``).
    ///   - onInitialized: called with how many quantizer tensors kept their initial values when
    ///     the run starts from `initialModel`.
    ///   - onResume: called with the epoch a run resumes after.
    ///   - onEpoch: called after every epoch.
    /// - Returns: the report, and the trained model as a model file's bytes (nil if the run stopped early).
    /// - Throws: ``InitializationFailure`` when `initialModel` does not fit the config.
    public static func train(_ config: JobConfig, dataset: Dataset, stop: StopFlag = StopFlag(), checkpoint: String? = nil,
                             initialModel: Data? = nil, initialModelName: String? = nil, measurePacked: Bool = true, onInitialized: (Int) -> Void = { _ in },
                             onResume: (Int) -> Void = { _ in }, onEpoch: (EpochStats) -> Void) throws -> (TrainingReport, Data?) {
        let (arch, quantizer, settings) = plan(config)
        let split = split(config, count: dataset.train.count)
        let shape = dataset.train.shape
        let model = arch.build(input: shape, classes: dataset.name.classes, seed: settings.seed, quantizer: quantizer)
        if let initialModel {
            let name = initialModelName ?? "the model of job \(config.initFrom ?? "?")"
            let parent: ModelFile
            do { parent = try ModelFile.decode(initialModel, name: name) } catch {
                throw InitializationFailure(description: "cannot start from \(name): \(error)")
            }
            guard parent.architecture == arch, parent.dataset == dataset.name else {
                throw InitializationFailure(description: "the model to start from is \(parent.architecture) on \(parent.dataset), not \(arch) on \(dataset.name)")
            }
            do { onInitialized(try model.initialize(from: parent.model).count) } catch {
                throw InitializationFailure(description: "cannot start from \(name): \(error)")
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
                var file = ModelFile(architecture: arch, dataset: dataset.name, input: shape, model: trainer.model, quantizer: quantizer)
                file.training = trainer.state
                file.optimizerMoments = trainer.optimizerMoments
                try? file.write(to: checkpoint)
            }
            onEpoch(e)
        }, shouldStop: { stop.isSet })
        var report = finished
        report.operations = OperationCount(trainer.model, kind: quantizer.kind)
        if measurePacked && report.stoppedEarly == nil && !stop.isSet {
            // Every kind: quantized models packed, checked and timed; fp timed on the float
            // engine. Heartbeats go on meanwhile: the worker's ticker runs until this returns.
            let (test, _) = dataset.name.normalization.batch(dataset.test, indices: Array(0..<dataset.test.count)[...])
            report.packed = PackedReport.measure(trainer.model, quantized: quantizer.kind.quantizes, test: test)
        }
        let trained = report.stoppedEarly == nil
            ? try? ModelFile(architecture: arch, dataset: dataset.name, input: shape, model: trainer.model, quantizer: quantizer).encoded()
            : nil
        return (report, trained)
    }

    /// ``train(_:dataset:stop:checkpoint:initialModel:initialModelName:measurePacked:onInitialized:onResume:onEpoch:)``
    /// on a dedicated thread; cancelling the task stops the run (``AbandonReason/shutdown``).
    static func run(_ config: JobConfig, dataset: Dataset, stop: StopFlag, checkpoint: String? = nil, initialModel: Data? = nil,
                    onResume: @escaping @Sendable (Int) -> Void = { _ in },
                    onEpoch: @escaping @Sendable (EpochStats) -> Void) async throws -> (TrainingReport, Data?) {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    do {
                        continuation.resume(returning: try train(config, dataset: dataset, stop: stop, checkpoint: checkpoint,
                                                                 initialModel: initialModel, onResume: onResume, onEpoch: onEpoch))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            stop.set(.shutdown)
        }
    }
}

/// A flag set from one thread and read from another; the first reason given wins.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: AbandonReason?

    public init() {}

    var isSet: Bool { lock.withLock { value != nil } }
    var reason: AbandonReason? { lock.withLock { value } }
    /// The first reason wins, except that a prune replaces any other: the coordinator has ended
    /// the job, so a refused heartbeat racing its reply, or a shutdown, must not keep the
    /// checkpoint of a job that is over.
    func set(_ reason: AbandonReason = .claimLost) {
        lock.withLock {
            if case .pruned = reason { value = reason } else if value == nil { value = reason }
        }
    }
}

extension EpochReport {
    init(_ s: EpochStats) {
        self.init(epoch: s.epoch, trainLoss: s.trainLoss, trainAccuracy: s.trainAccuracy,
                  validationAccuracy: s.validationAccuracy, learningRate: s.learningRate, seconds: s.seconds)
    }
}
