@testable import FATNNEngine
import FATNNJobs
@testable import FATNNWorker
import Foundation
import Testing

/// The worker's decision after a run (``AfterRun/decide``), every branch, without a coordinator.
@Suite struct AfterRunTests {
    static let model = Data("model file".utf8)
    static let host = AfterRun.Host(name: "h1", threads: 2, cpu: "AMD EPYC", code: CodeVersion(commit: "abc", dirty: false))

    static func report(stopped: TrainingStop? = nil, accuracy: Double = 0.9, packed: PackedReport? = nil) -> TrainingReport {
        let epoch = EpochStats(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.8, validationAccuracy: 0.85, learningRate: 0.1, seconds: 2, images: 100)
        var r = TrainingReport(epochs: [epoch], testAccuracy: accuracy, testLoss: 0.4, validationAccuracy: 0.85, trainSeconds: 2,
                               imagesPerSecond: 50, stoppedEarly: stopped)
        r.packed = packed
        return r
    }

    @Test func aRunTheWorkerStoppedIsDiscardedOrGivenBack() {
        let stopped = Self.report(stopped: .requested)
        #expect(AfterRun.decide(stopped, abandoned: .claimLost, model: nil, worker: "w", host: Self.host)
                == .discard(why: "claim lost (lease expired or job ended elsewhere); result discarded"))
        #expect(AfterRun.decide(stopped, abandoned: .cancelled, model: nil, worker: "w", host: Self.host)
                == .release(reason: "cancelled", shuttingDown: false))
        #expect(AfterRun.decide(stopped, abandoned: .shutdown, model: nil, worker: "w", host: Self.host)
                == .release(reason: "w shutting down", shuttingDown: true))
        #expect(AfterRun.decide(stopped, abandoned: .pruned("behind"), model: nil, worker: "w", host: Self.host) == .pruned(reason: "behind"))
        // A prune replaces an earlier reason (a heartbeat refused because the prune had already
        // ended the claim, or a shutdown): the job is over, its checkpoint must go.
        for first in [AbandonReason.claimLost, .shutdown, .cancelled] {
            let flag = StopFlag()
            flag.set(first)
            flag.set(.pruned("behind"))
            flag.set(.claimLost)
            #expect(flag.reason == .pruned("behind"), "after \(first)")
        }
        // Stopped without a recorded reason: only a shutdown stops a run that way.
        #expect(AfterRun.decide(stopped, abandoned: nil, model: nil, worker: "w", host: Self.host)
                == .release(reason: "w shutting down", shuttingDown: true))
    }

    @Test func aDivergedRunIsAJobError() {
        #expect(AfterRun.decide(Self.report(stopped: .diverged(epoch: 3)), abandoned: nil, model: nil, worker: "w", host: Self.host)
                == .fail("training diverged at epoch 3: loss 0.5"))
    }

    @Test func aFinishedRunIsReportedWithWhereItRan() throws {
        let packed = PackedReport(exact: true, kernel: "fatnn", path: .avx2, testImages: 10, packedLatency1: 0.001, packedLatency64: 0.02,
                                  floatLatency1: 0.002, floatLatency64: 0.05)
        guard case .report(let r, _) = AfterRun.decide(Self.report(packed: packed), abandoned: nil, model: Self.model, worker: "w", host: Self.host) else {
            Issue.record("not reported"); return
        }
        #expect(r.testAccuracy == 0.9 && r.trainLoss == 0.5 && r.host == "h1" && r.threads == 2 && r.cpu == "AMD EPYC")
        #expect(r.codeVersion?.commit == "abc" && r.epochs.count == 1 && r.packedExact == true)
        #expect(r.packed?.kernelPath == "avx2" && r.packed?.testImages == 10 && r.packed?.latencyBatch64 == 0.02)
        // A run that finished while a cancel arrived still reports: the result is real.
        guard case .report = AfterRun.decide(Self.report(), abandoned: .cancelled, model: Self.model, worker: "w", host: Self.host) else {
            Issue.record("a finished run was not reported because a cancel arrived"); return
        }
    }

    @Test func aResultThatCannotBeReportedIsAJobError() {
        guard case .fail(let range) = AfterRun.decide(Self.report(accuracy: 1.5), abandoned: nil, model: Self.model, worker: "w", host: Self.host) else {
            Issue.record("an accuracy of 1.5 was reported"); return
        }
        #expect(range.hasPrefix("result out of range: "))
        #expect(AfterRun.decide(Self.report(), abandoned: nil, model: nil, worker: "w", host: Self.host)
                == .fail("the trained model could not be encoded"))
    }

    @Test func aPackingErrorTravelsWithTheResultTruncated() {
        let long = String(repeating: "x", count: 5000)
        guard case .report(let r, _) = AfterRun.decide(Self.report(packed: PackedReport(error: long)), abandoned: nil, model: Self.model,
                                                    worker: "w", host: Self.host) else { Issue.record("not reported"); return }
        #expect(r.packed?.error?.count == 1000 && r.packed?.kernelPath == nil)
    }
}

/// The worker's wait for each epoch's heartbeat reply.
@Suite struct EpochGateTests {
    @Test func waitsForTheAnswerButNotForAnUnreachableCoordinator() async {
        let gate = EpochGate(timeout: 30)
        let start = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { gate.answer(1) }
        gate.wait(for: 1)
        #expect(Date().timeIntervalSince(start) >= 0.15, "waited for the reply")
        gate.wait(for: 1)  // answered already: no wait
        gate.failed()
        let t = Date()
        gate.wait(for: 2)
        gate.wait(for: 3)
        #expect(Date().timeIntervalSince(t) < 1, "after a failed heartbeat the gate does not wait")
        gate.answer(2)
        let bounded = EpochGate(timeout: 0.2)
        let u = Date()
        bounded.wait(for: 1)
        #expect(Date().timeIntervalSince(u) < 5, "the wait is bounded by the timeout")
    }
}
