import FATNNJobs
import Foundation
import Testing

/// The pruning rules, fed fixed sequences of reports: every decision checked.
@Suite struct PruningRuleTests {
    /// ASHA, η = 3, rungs at epochs 1, 3 (and 9, never decided: the jobs run 9 epochs).
    @Test func ashaKeepsTheTopThirdAtEachRung() {
        let rule = PruningRule(method: .asha, minEpochs: 1, reductionFactor: 3)
        #expect((1...9).filter(rule.isRung) == [1, 3, 9])
        // Reports arrive one by one at rung 1; each sees those before it.
        let values = [0.50, 0.60, 0.55, 0.70, 0.40, 0.65, 0.80, 0.30, 0.62]
        var seen: [Double] = []
        var kept: [Bool] = []
        for v in values {
            kept.append(rule.decide(epoch: 1, of: 9, value: v, others: seen) == .keep)
            seen.append(v)
        }
        // 1st: alone (best of 1). 2nd: 0.60 best of 2. 3rd: 0.55 not best of 3. 4th: best of 4.
        // 5th: 0.40 not best of 5. 6th: 6/3 = 2 kept: 0.70, 0.65 -> kept. 7th: top 2 of 7: 0.80, 0.70
        // -> kept. 8th: 0.30 no. 9th: top 3 of 9: 0.80, 0.70, 0.65 -> 0.62 no.
        #expect(kept == [true, true, false, true, false, true, true, false, false])
        // Between rungs and at the last epoch: never a decision.
        #expect(rule.decide(epoch: 2, of: 9, value: 0, others: [1, 1, 1]) == .keep)
        #expect(rule.decide(epoch: 9, of: 9, value: 0, others: [1, 1, 1]) == .keep)
        // A worse value at rung 3 among 6 that reached it: top 2 kept.
        #expect(rule.decide(epoch: 3, of: 9, value: 0.71, others: [0.9, 0.8, 0.7, 0.6, 0.5]) != .keep)
        #expect(rule.decide(epoch: 3, of: 9, value: 0.85, others: [0.9, 0.8, 0.7, 0.6, 0.5]) == .keep)
        // Ties with the threshold are kept.
        #expect(rule.decide(epoch: 3, of: 9, value: 0.8, others: [0.9, 0.8, 0.7, 0.6, 0.5]) == .keep)
    }

    /// A report that skipped a rung (its heartbeat lost, or a resume) is judged at the highest
    /// rung it passed; one that passed none is not judged.
    @Test func skippedRungsAreStillDecided() {
        let rule = PruningRule(method: .asha, minEpochs: 1, reductionFactor: 3)
        #expect(rule.decisionEpoch(reported: 1, previous: 0, of: 9) == 1)
        #expect(rule.decisionEpoch(reported: 2, previous: 1, of: 9) == nil)
        #expect(rule.decisionEpoch(reported: 4, previous: 2, of: 9) == 3, "epoch 3's report was lost")
        #expect(rule.decisionEpoch(reported: 4, previous: 0, of: 9) == 3, "the highest rung passed")
        #expect(rule.decisionEpoch(reported: 3, previous: 3, of: 9) == nil, "a rung already passed in an earlier attempt")
        #expect(rule.decisionEpoch(reported: 9, previous: 8, of: 9) == nil, "never at the last epoch")
        let median = PruningRule(method: .median, minEpochs: 2)
        #expect(median.decisionEpoch(reported: 1, previous: 0, of: 5) == nil)
        #expect(median.decisionEpoch(reported: 3, previous: 1, of: 5) == 3)
        // A stored rule with impossible numbers decides nothing (and never loops).
        var broken = rule
        broken.reductionFactor = 1
        #expect(broken.decisionEpoch(reported: 5, previous: 0, of: 9) == nil && !broken.isRung(3))
        #expect(PruningRule(json: broken.json) == nil)
    }

    @Test func oneRuleComparesOneModelOnOneDataset() {
        let json = #"{"name": "s", "base": {"model": "cnn-s", "dataset": {"name": "mnist"}, "training": {"epochs": 3, "learningRate": 0.1}}, "seeds": [1], "grid": {"dataset.name": ["mnist", "fashion-mnist"]}, "pruning": {"method": "asha"}}"#
        #expect { try sweep(json) } throws: { ($0 as? SweepError)?.path == "pruning" && "\($0)".contains("not comparable") }
    }

    @Test func ashaOnALossKeepsTheLowest() {
        let rule = PruningRule(method: .asha, metric: .trainLoss, minEpochs: 2, reductionFactor: 2)
        #expect((1...8).filter(rule.isRung) == [2, 4, 8])
        #expect(rule.decide(epoch: 1, of: 8, value: 9, others: [0.1]) == .keep, "before minEpochs")
        #expect(rule.decide(epoch: 2, of: 8, value: 0.3, others: [0.1, 0.2, 0.4]) != .keep)
        #expect(rule.decide(epoch: 2, of: 8, value: 0.15, others: [0.1, 0.2, 0.4]) == .keep)
        #expect(rule.decide(epoch: 4, of: 8, value: .nan, others: []) != .keep, "a NaN metric is pruned")
    }

    @Test func medianStopsBelowTheMedianOfTheOthers() {
        let rule = PruningRule(method: .median, minEpochs: 2, minJobs: 3)
        #expect(rule.decide(epoch: 1, of: 5, value: 0, others: [1, 1, 1]) == .keep, "before minEpochs")
        #expect(rule.decide(epoch: 2, of: 5, value: 0, others: [1, 1]) == .keep, "too few others")
        #expect(rule.decide(epoch: 2, of: 5, value: 0.5, others: [0.4, 0.6, 0.7]) != .keep, "median 0.6")
        #expect(rule.decide(epoch: 2, of: 5, value: 0.6, others: [0.4, 0.6, 0.7]) == .keep, "equal to the median")
        #expect(rule.decide(epoch: 3, of: 5, value: 0.54, others: [0.4, 0.5, 0.6, 0.7]) != .keep, "median 0.55")
        #expect(rule.decide(epoch: 3, of: 5, value: 0.56, others: [0.4, 0.5, 0.6, 0.7]) == .keep)
        #expect(rule.decide(epoch: 5, of: 5, value: 0, others: [1, 1, 1]) == .keep, "last epoch")
        if case .prune(let reason) = rule.decide(epoch: 2, of: 5, value: 0.5, others: [0.4, 0.6, 0.7]) {
            #expect(reason.contains("median 0.6") && reason.contains("3 other jobs"), "\(reason)")
        }
    }

    @Test func sweepsCarryTheRulePerJobAndStage() throws {
        let s = try sweep(#"{"name": "p", "base": {"model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 4, "learningRate": 0.1}}, "seeds": [1, 2], "pruning": {"method": "asha"}, "stages": [{"name": "a"}, {"name": "b", "from": "a", "pruning": null, "base": {"quantizer": {"kind": "tnn"}}}, {"name": "c", "from": "a", "pruning": {"method": "median", "minEpochs": 2}, "base": {"quantizer": {"kind": "fatnn"}}}]}"#)
        #expect(s.pruning.map { $0?.method } == [.asha, .asha, nil, nil, .median, .median])
        #expect(s.pruning[0] == PruningRule(method: .asha, metric: .valAcc, minEpochs: 1, reductionFactor: 3, minJobs: 1))
        #expect(s.pruning[4]?.minJobs == 5 && s.pruning[4]?.minEpochs == 2)
        #expect(PruningRule(json: s.pruning[4]!.json) == s.pruning[4])
    }

    @Test(arguments: [
        (#""pruning": {"method": "hyperband"}"#, "pruning.method"),
        (#""pruning": {"method": "asha", "metric": "test_acc"}"#, "pruning.metric"),
        (#""pruning": {"method": "asha", "reductionFactor": 1}"#, "pruning.reductionFactor"),
        (#""pruning": {"method": "median", "reductionFactor": 3}"#, "pruning.reductionFactor"),
        (#""pruning": {"method": "asha", "minEpochs": 2}"#, "pruning.minEpochs"),  // the jobs run 2 epochs
        (#""pruning": {"method": "asha", "typo": 2}"#, "pruning.typo"),
        (#""pruning": "asha""#, "pruning"),
    ]) func badRulesNameTheirField(text: String, path: String) {
        let json = #"{"name": "s", \#(sweepBase), "seeds": [1], \#(text)}"#
        #expect { try sweep(json) } throws: { ($0 as? SweepError)?.path == path }
    }

    @Test func valAccNeedsAValidationSplit() {
        let json = #"{"name": "s", "base": {"model": "mlp", "dataset": {"name": "fashion-mnist", "validationFraction": 0}, "training": {"epochs": 3, "learningRate": 0.1}}, "seeds": [1], "pruning": {"method": "median"}}"#
        #expect { try sweep(json) } throws: { ($0 as? SweepError)?.path == "pruning.metric" }
        #expect(throws: Never.self) { try sweep(json.replacingOccurrences(of: #""method": "median""#, with: #""method": "median", "metric": "train_loss""#)) }
    }
}
