import ArgumentParser
import FATNNEngine
import FATNNJobs
import FATNNVocabulary
import FATNNWorker
import Foundation

/// `fatnn train`: the flags make a job config (``JobConfig``), checked by the same validation as a
/// sweep's jobs, and run by the same runner as a worker's (``JobRunner``): a config trains the same
/// here as on a worker.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model on a dataset and report test accuracy.",
        discussion: """
            The flags form the job config a sweep would hold (same checks, same run as on a worker: \
            Jobs/*.json and Schemas/sweep.schema.json show the fields). Deterministic: the same seeds \
            and --threads give the same run. Saves the model with --output for 'fatnn eval'.
            """)

    @Option(help: "Model: \(ModelArchitecture.names).")
    var model: String = ModelArchitecture.mlp.rawValue

    @Option(help: "Dataset: \(DatasetName.names).")
    var dataset: String = DatasetName.fashionMNIST.rawValue

    @Option(help: ArgumentHelp("Directory holding the dataset's IDX files (gzip or raw).", valueName: "dir"))
    var dataDir: String?

    @Option(help: "Passes over the training split (training.epochs).") var epochs: Int = 3
    @Option(help: "Images per step (training.batchSize).") var batchSize: Int = 128
    @Option(name: .customLong("lr"), help: "Base learning rate (training.learningRate).") var learningRate: Double = 0.1
    @Option(help: "SGD momentum (training.momentum).") var momentum: Double = 0.9
    @Flag(help: "Nesterov momentum (training.nesterov).") var nesterov = false
    @Option(help: "L2 weight decay (training.weightDecay).") var weightDecay: Double = 5e-4
    @Option(help: "Learning-rate schedule: \(LearningRateSchedule.names).") var schedule: String = LearningRateSchedule.cosine.rawValue
    @Option(help: "Optimizer: \(OptimizerKind.names).") var optimizer: String = OptimizerKind.sgd.rawValue
    @Option(help: "Epochs of linear learning-rate warm-up.") var warmupEpochs: Int = 0
    @Option(help: "Random-crop padding in pixels (0: no crop).") var cropPadding: Int = 0
    @Flag(help: "Random horizontal flips.") var horizontalFlip = false
    @Option(help: "Seed of initialization and data order (the job's seed), and of the split unless --split-seed is given.")
    var seed: Int = 0
    @Option(help: "Seed that chooses the validation holdout or folds (dataset.splitSeed; default: --seed).") var splitSeed: Int?
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
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256, got \(threads)") }
        _ = try jobConfig()
    }

    func run() throws {
        BLAS.setThreads(threads)
        let config = try jobConfig()
        let data = try Dataset.load(config.dataset.name, directory: dataDir)
        let split = JobRunner.split(config, count: data.train.count)
        var initial: Data?
        if let initFrom {
            do { initial = try Data(contentsOf: URL(fileURLWithPath: initFrom)) } catch {
                throw CommandError("\(initFrom): cannot read: \(error.localizedDescription)")
            }
        }
        print("\(model) on \(dataset): \(split.trainIndices.count) train, \(split.validationIndices.count) val, \(data.test.count) test images; \(threads) thread(s)")
        let (report, trained): (TrainingReport, Data?)
        do {
            (report, trained) = try JobRunner.train(config, dataset: data, initialModel: initial, initialModelName: initFrom, measurePacked: false,
                                                    onInitialized: { kept in
                print("initialized from \(initFrom ?? "")\(kept == 0 ? "" : "; \(kept) quantizer tensor(s) keep their initial values")")
            }, onEpoch: { e in
                print(String(format: "epoch %d/%d  loss %.4f  train acc %.2f%%  val acc %@  %.1f s",
                             e.epoch, epochs, e.trainLoss, e.trainAccuracy * 100,
                             e.validationAccuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "-", e.seconds))
            })
        } catch let e as JobRunner.InitializationFailure {
            throw CommandError(e.description)
        }
        if case .diverged(let epoch)? = report.stoppedEarly {
            throw CommandError("training diverged at epoch \(epoch) (loss is not finite); lower --lr")
        }
        print(String(format: "test accuracy %.2f%%  (test loss %.4f, %.0f images/s)", report.testAccuracy * 100, report.testLoss, report.imagesPerSecond))
        if let output {
            guard let trained else { throw CommandError("the trained model could not be encoded") }
            do { try trained.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw CommandError("\(output): cannot write the model: \(error.localizedDescription)")
            }
            print("saved \(output)")
        }
    }
}
