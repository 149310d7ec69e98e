import FATNNEngine
import FATNNJobs
import Foundation

/// What the worker does once a claimed job's run has returned: a pure function of how training
/// ended, why the worker stopped it (if it did) and what it produced, so that every branch is
/// unit-tested without a coordinator. ``Worker/process(_:)`` carries the action out.
enum AfterRun: Equatable {
    /// The claim is gone: report nothing (the coordinator has moved on).
    case discard(why: String)
    /// The coordinator pruned the job (early stopping): report nothing, drop its checkpoint.
    case pruned(reason: String)
    /// Give the job back unrun: a user cancelled it, or the worker is shutting down (then the
    /// release is tried a few times only).
    case release(reason: String, shuttingDown: Bool)
    /// Report a job error.
    case fail(String)
    /// Report the result and upload the trained model (a model file's bytes).
    case report(JobResult, model: Data)

    /// Where the result was measured, recorded with it.
    struct Host: Equatable {
        var name: String, threads: Int, cpu: String, code: CodeVersion?
    }

    /// The action for a run of the worker named `worker` that returned `report` and the trained
    /// `model` file (nil if it could not be encoded), after the worker stopped it for `abandoned`,
    /// if it did.
    static func decide(_ report: TrainingReport, abandoned: AbandonReason?, model: Data?, worker: String, host: Host) -> AfterRun {
        switch report.stoppedEarly {
        case .requested?:
            switch abandoned ?? .shutdown {
            case .claimLost: return .discard(why: "claim lost (lease expired or job ended elsewhere); result discarded")
            case .cancelled: return .release(reason: "cancelled", shuttingDown: false)
            case .pruned(let reason): return .pruned(reason: reason)
            case .shutdown: return .release(reason: "\(worker) shutting down", shuttingDown: true)
            }
        case .diverged(let epoch)?:
            return .fail("training diverged at epoch \(epoch): loss \(report.epochs.last?.trainLoss ?? .nan)")
        case nil:
            break
        }
        let result = Self.result(report, host: host)
        do { try result.validate() } catch { return .fail("result out of range: \(error)") }
        guard let model else { return .fail("the trained model could not be encoded") }
        return .report(result, model: model)
    }

    /// The result to report for a finished run.
    static func result(_ report: TrainingReport, host: Host) -> JobResult {
        var result = JobResult(testAccuracy: report.testAccuracy, testLoss: report.testLoss,
                               validationAccuracy: report.validationAccuracy, trainLoss: report.epochs.last?.trainLoss ?? 0,
                               trainSeconds: report.trainSeconds, imagesPerSecond: report.imagesPerSecond,
                               epochs: report.epochs.map(EpochReport.init), host: host.name, threads: host.threads)
        result.cpu = host.cpu
        result.codeVersion = host.code
        result.operations = report.operations.map { Operations(floatMACs: $0.floatMACs, quantizedMACs: $0.quantizedMACs, bitOps: $0.bitOps) }
        if let p = report.packed {
            result.packedExact = p.exact
            if let error = p.error {
                result.packed = PackedInference(cpu: host.cpu, error: String(error.prefix(1000)))
            } else {
                result.packed = PackedInference(kernelPath: p.path?.rawValue, kernel: p.kernel, cpu: host.cpu,
                                                testImages: p.exact == nil ? nil : p.testImages,
                                                latencyBatch1: p.packedLatency1, latencyBatch64: p.packedLatency64,
                                                floatLatencyBatch1: p.floatLatency1, floatLatencyBatch64: p.floatLatency64)
            }
        }
        return result
    }
}
