import Foundation

/// Early stopping for a sweep (or one stage of it): after each epoch a running job reports, the
/// coordinator compares its metric with the other jobs of the same sweep and stage at the same
/// epoch and may stop it (the job ends `pruned`, its epochs kept).
///
/// ```json
/// "pruning": { "method": "asha", "metric": "val_acc", "minEpochs": 1, "reductionFactor": 3 }
/// ```
///
/// - `asha` (asynchronous successive halving): rungs at epochs minEpochs·η^k. A job reaching a
///   rung continues only if its metric is in the top 1/η of the jobs that have reached that rung
///   so far (itself included), best first; while fewer than η jobs have, it must be the best of
///   them (the rule of Optuna's `SuccessiveHalvingPruner`, which cannot pause and resume jobs).
///   A report that skipped a rung (a lost heartbeat, a resume from a checkpoint) is judged at the
///   highest rung it passed, against the others' values at that rung.
/// - `median`: from epoch minEpochs on, a job stops when its metric at an epoch is worse than the
///   median of the other jobs' metric at that epoch (every job of the sweep and stage that has
///   reported it: running, finished or pruned), once at least `minJobs` others have reported it.
///   Unlike Optuna's `MedianPruner`, which compares a trial's best value so far with completed
///   trials only, this uses the current value and every job, so it decides from the first jobs on.
///
/// No decision is made at a job's last epoch (it is finished anyway). The jobs compared must be
/// comparable: one rule's jobs all train the same model on the same dataset (checked at submit).
public struct PruningRule: Codable, Sendable, Hashable {
    public enum Method: String, Codable, Sendable, CaseIterable { case asha, median }

    /// The per-epoch value compared.
    public enum Metric: String, Codable, Sendable, CaseIterable {
        case valAcc = "val_acc", trainAcc = "train_acc", trainLoss = "train_loss"
        /// Whether higher values are better.
        public var higherIsBetter: Bool { self != .trainLoss }
        /// The `epochs` table column holding it.
        public var column: String {
            switch self {
            case .valAcc: "val_accuracy"
            case .trainAcc: "train_accuracy"
            case .trainLoss: "train_loss"
            }
        }
    }

    public var method: Method
    public var metric: Metric
    /// First epoch a decision may be made at (ASHA's first rung).
    public var minEpochs: Int
    /// η: ASHA keeps the top 1/η at each rung; rungs are η times apart.
    public var reductionFactor: Int
    /// Jobs that must have reported the epoch (others, for median; all, for ASHA) before a decision.
    public var minJobs: Int

    public init(method: Method, metric: Metric = .valAcc, minEpochs: Int = 1, reductionFactor: Int = 3, minJobs: Int? = nil) {
        self.method = method
        self.metric = metric
        self.minEpochs = minEpochs
        self.reductionFactor = reductionFactor
        self.minJobs = minJobs ?? (method == .asha ? 1 : 5)
    }

    /// The decision for a job that reported `value` at `epoch` of its `epochs`, given the values
    /// of the other jobs of its sweep and stage at the same epoch.
    public func decide(epoch: Int, of epochs: Int, value: Double, others: [Double]) -> Decision {
        guard epoch >= minEpochs, epoch < epochs else { return .keep }
        let better: (Double, Double) -> Bool = metric.higherIsBetter ? { $0 > $1 } : { $0 < $1 }
        let fmt = { (x: Double) in String(format: "%.4g", x) }
        if value.isNaN { return .prune("\(metric.rawValue) is NaN at epoch \(epoch)") }
        let others = others.filter { !$0.isNaN }
        switch method {
        case .asha:
            guard isRung(epoch) else { return .keep }
            let competing = (others + [value]).sorted(by: better)
            guard competing.count >= minJobs else { return .keep }
            let keep = max(1, competing.count / reductionFactor)
            let threshold = competing[keep - 1]
            if better(threshold, value) {
                return .prune("\(metric.rawValue) \(fmt(value)) at epoch \(epoch) (an ASHA rung) is not in the top \(keep) of the \(competing.count) jobs there (needs \(fmt(threshold)))")
            }
            return .keep
        case .median:
            guard others.count >= minJobs else { return .keep }
            let s = others.sorted()
            let median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            if better(median, value) {
                return .prune("\(metric.rawValue) \(fmt(value)) at epoch \(epoch) is worse than the median \(fmt(median)) of \(others.count) other jobs there")
            }
            return .keep
        }
    }

    /// The epoch a report of `epoch` of `epochs` is judged at, given the job's previous report
    /// (`previous`, 0 for none), or nil when the rule does not decide there (so a store need not
    /// look the others up): `epoch` itself for median; for ASHA the highest rung in
    /// `previous < rung <= epoch`, so that a rung whose report was lost is still decided.
    public func decisionEpoch(reported epoch: Int, previous: Int, of epochs: Int) -> Int? {
        guard isValid, epoch >= minEpochs, epoch < epochs else { return nil }
        if method == .median { return epoch }
        var r = minEpochs, found: Int?
        while r <= epoch {
            if r > previous { found = r }
            r *= reductionFactor
        }
        return found
    }

    /// Whether ASHA decides at `epoch`: minEpochs·η^k.
    public func isRung(_ epoch: Int) -> Bool {
        guard isValid else { return false }
        var r = minEpochs
        while r < epoch { r *= reductionFactor }
        return r == epoch
    }

    /// Whether the numbers are in the ranges a sweep file may give (a rule decoded from storage
    /// is checked too: a reduction factor below 2 would never reach a rung).
    var isValid: Bool {
        (1...1000).contains(minEpochs) && (2...100).contains(reductionFactor) && (1...Sweep.maxJobs).contains(minJobs)
    }

    /// What to do with a job after an epoch.
    public enum Decision: Equatable, Sendable {
        case keep
        /// Stop it, with the reason recorded as the job's error.
        case prune(String)
    }

    /// Reads a `pruning` object at `path`.
    static func read(_ value: JSONValue, path: String) throws(SweepError) -> PruningRule {
        var r = try ObjectReader(value, path: path)
        let method = Method(rawValue: try r.string("method", allowed: Method.allCases.map(\.rawValue))) ?? .asha
        let metric = Metric(rawValue: try r.string("metric", default: "val_acc", allowed: Metric.allCases.map(\.rawValue))) ?? .valAcc
        var rule = PruningRule(method: method, metric: metric, minEpochs: try r.int("minEpochs", default: 1, min: 1, max: 1000))
        if method == .asha {
            rule.reductionFactor = try r.int("reductionFactor", default: 3, min: 2, max: 100)
        } else if r.has("reductionFactor") {
            throw SweepError(path: r.at("reductionFactor"), "only asha has a reduction factor")
        }
        rule.minJobs = try r.int("minJobs", default: rule.minJobs, min: 1, max: Sweep.maxJobs)
        try r.finish()
        return rule
    }

    /// Checks the rule against the jobs it applies to.
    func check(_ jobs: [JobConfig], path: String) throws(SweepError) {
        if metric == .valAcc, let i = jobs.firstIndex(where: { $0.dataset.validationFraction == 0 }) {
            throw SweepError(path: "\(path).metric", "val_acc needs a validation split, but job \(i + 1) has validationFraction 0; give one or prune on train_loss")
        }
        if let first = jobs.first, let other = jobs.first(where: { $0.model != first.model || $0.dataset.name != first.dataset.name }) {
            throw SweepError(path: path, "compares jobs of one sweep (or stage), but these train \(first.model.rawValue) on \(first.dataset.name.rawValue) and \(other.model.rawValue) on \(other.dataset.name.rawValue), whose accuracies are not comparable; give each model and dataset a sweep or stage of its own")
        }
        let longest = jobs.map(\.training.epochs).max() ?? 0
        guard minEpochs < longest else {
            throw SweepError(path: "\(path).minEpochs", "\(minEpochs) leaves no epoch to decide at: the jobs run at most \(longest) epochs (no decision is made at the last)")
        }
    }
}

extension Sweep {
    /// The stage of job `i` (nil without stages).
    public func stage(of i: Int) -> String? { stages.indices.contains(i) ? stages[i] : nil }

    /// The pruning rule of job `i` as the JSON a store keeps (nil: never pruned).
    public func pruningJSON(of i: Int) -> String? {
        guard pruning.indices.contains(i), let rule = pruning[i] else { return nil }
        return rule.json
    }

    /// Whether any job of the sweep may be pruned.
    public var prunes: Bool { pruning.contains { $0 != nil } }
}

extension PruningRule {
    /// The rule as canonical JSON (sorted keys).
    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return (try? e.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    /// A rule from its stored JSON, nil if unreadable.
    public init?(json: String) {
        guard let rule = try? JSONDecoder().decode(PruningRule.self, from: Data(json.utf8)), rule.isValid else { return nil }
        self = rule
    }
}
