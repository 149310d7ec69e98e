@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import Testing

/// `compare`: pairs, replicas, the Student t interval, pairs that must not form, bad input.
@Suite struct PairedComparisonTests {
    let store: JobStore

    /// Test accuracies (validation = test − 0.01):
    ///
    /// | config            | seed 1 | seed 2 | seed 3                      |
    /// |-------------------|--------|--------|-----------------------------|
    /// | tnn, lr 0.1       | 0.80   | 0.82   | 0.84                        |
    /// | fatnn, lr 0.1     | 0.81   | 0.85   | 0.85 and 0.87 (2 replicas)  |
    /// | fp, lr 0.1        | 0.90   |        |                             |
    /// | fatnn, lr 0.05    | 0.50   | 0.50   | 0.50 (no tnn at lr 0.05)    |
    init() throws {
        store = try TestClock().store()
        let table: [String: [Int: Double]] = ["tnn": [1: 0.80, 2: 0.82, 3: 0.84], "fatnn": [1: 0.81, 2: 0.85, 3: 0.85], "fp": [1: 0.90]]
        let acc = { (c: JobConfig, replica: Int) -> (test: Double, val: Double) in
            let a = c.training.learningRate == 0.05 ? 0.5 : replica == 1 ? 0.87 : table[c.quantizer.kind.rawValue]?[c.seed] ?? 0
            return (a, a - 0.01)
        }
        try finish(store, cnnSweep("pairs", grid: #""quantizer.kind": ["tnn", "fatnn"]"#, seeds: [1, 2, 3]), acc)
        try finish(store, cnnSweep("fp", grid: "", seeds: [1]), acc)
        try finish(store, cnnSweep("other-lr", grid: #""quantizer.kind": ["fatnn"]"#, seeds: [1, 2, 3], lr: 0.05), acc)
        try finish(store, cnnSweep("replica", grid: #""quantizer.kind": ["fatnn"]"#, seeds: [3]), replicate: 1, acc)
    }

    func row(_ c: PairedComparison, _ value: String) throws -> PairedComparison.Row {
        try #require(c.rows.first { $0.value == value }, "\(c.rows)")
    }

    /// fatnn − tnn per seed: 0.81 − 0.80 = 0.01, 0.85 − 0.82 = 0.03, (0.85 + 0.87)/2 − 0.84 = 0.02
    /// (the replicas averaged first). n = 3, mean 0.02, sample std sqrt((0.01² + 0.01² + 0²)/2) =
    /// 0.01, 95% CI 0.02 ± t(0.975, 2)·0.01/√3 = 0.02 ± 4.3026527·0.0057735 = 0.02 ± 0.0248414.
    /// The lr 0.05 fatnn jobs differ from every tnn job in lr too, so they pair with none.
    /// fp − tnn: seed 1 only, 0.90 − 0.80 = 0.10, n = 1: no interval.
    @Test func pairsOverSeedsWithAStudentTInterval() throws {
        let c = try store.compare(CompareQuery(by: "quantizer", baseline: "tnn"))
        #expect(c.baseline == "tnn" && c.values == ["fatnn", "fp", "tnn"] && c.jobs == 11)
        #expect(c.rows.map(\.value) == ["fatnn", "fp"])
        let fatnn = try row(c, "fatnn")
        #expect(fatnn.pairs == 3)
        let mean = try #require(fatnn.meanDifference), std = try #require(fatnn.stdDifference)
        let lo = try #require(fatnn.ciLow), hi = try #require(fatnn.ciHigh)
        #expect(abs(mean - 0.02) < 1e-12 && abs(std - 0.01) < 1e-12)
        #expect(abs(lo - (0.02 - 0.0248414)) < 1e-6 && abs(hi - (0.02 + 0.0248414)) < 1e-6, "\(lo) \(hi)")
        #expect(abs((fatnn.baselineMean ?? 0) - 0.82) < 1e-12 && abs((fatnn.valueMean ?? 0) - 0.84) < 1e-12)
        let fp = try row(c, "fp")
        #expect(fp.pairs == 1 && abs((fp.meanDifference ?? 0) - 0.10) < 1e-12)
        #expect(fp.ciLow == nil && fp.stdDifference == nil && fp.note?.contains("n/a") == true)
        let text = c.render(.table)
        #expect(text.contains("+2.00") && text.contains("[-0.48, +4.48]") && text.contains("n/a"), "\(text)")
        #expect(c.render(.csv).split(separator: "\n").count == 3)
    }

    @Test func pairingNeedsEverythingElseEqual() throws {
        // Only the lr 0.05 fatnn jobs and the tnn jobs: no fatnn job matches a tnn job but for the quantizer.
        let c = try store.compare(CompareQuery(by: "quantizer", baseline: "tnn", filter: "lr = 0.05 or quantizer = tnn"))
        #expect(try row(c, "fatnn").pairs == 0 && (try row(c, "fatnn")).meanDifference == nil)
        // With --ignore lr they pair (each kind at its own learning rate): 0.50 − 0.80, 0.50 − 0.82, 0.50 − 0.84.
        let tuned = try store.compare(CompareQuery(by: "quantizer", baseline: "tnn", filter: "lr = 0.05 or quantizer = tnn", ignoring: ["lr"]))
        let t = try row(tuned, "fatnn")
        #expect(t.pairs == 3 && abs((t.meanDifference ?? 0) - (0.5 - (0.80 + 0.82 + 0.84) / 3)) < 1e-12, "\(t)")
        #expect(tuned.ignoring == ["lr"] && tuned.render(.table).contains("differ only in quantizer (and may differ in lr)"))
        // By lr among fatnn jobs: seeds 1-3 pair (0.50 − 0.81, 0.50 − 0.85, 0.50 − 0.86); "0.10" names 0.1.
        let lr = try store.compare(CompareQuery(by: "lr", baseline: "0.10", metric: "val_acc", filter: "quantizer = fatnn"))
        #expect(lr.baseline == "0.1" && lr.rows.map(\.value) == ["0.05"])
        let r = try row(lr, "0.05")
        #expect(r.pairs == 3 && abs((r.meanDifference ?? 0) - (0.5 - (0.81 + 0.85 + 0.86) / 3)) < 1e-12)
        // The sweep filter applies too: within "pairs" alone fatnn seed 3 has one replica (0.85 − 0.84).
        let one = try store.compare(CompareQuery(by: "quantizer", baseline: "tnn", sweep: "pairs"))
        #expect(abs((try row(one, "fatnn").meanDifference ?? 0) - (0.01 + 0.03 + 0.01) / 3) < 1e-12)
    }

    /// A QAT stage (fatnn, tnn) over two seeds of an FP stage: the fine-tunes of one FP parent
    /// pair up (their `initFrom` is that parent's config hash); the FP parents themselves pair
    /// with none (they have no parent). Test accuracy: parents 0.90, fatnn 0.86 + seed/100,
    /// tnn 0.85: differences 0.02 and 0.03, mean 0.025.
    @Test func fineTunesOfOneParentPairUp() throws {
        let store = try TestClock().store()
        _ = try store.submit(try Sweep.parse(Data("""
            { "name": "staged", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
              "seeds": [1, 2], "stages": [ {"name": "fp"}, {"name": "q", "from": "fp", "grid": {"quantizer.kind": ["fatnn", "tnn"]}} ] }
            """.utf8)), document: "{}")
        while let job = try store.claim(worker: "w", host: "h") {
            try store.storeArtifact(job: job.id, token: job.claimToken, data: Data("model".utf8))
            let kind = job.config.quantizer.kind
            let acc = kind == .fp ? 0.90 : kind == .fatnn ? 0.86 + Double(job.config.seed) / 100 : 0.85
            try store.complete(job: job.id, token: job.claimToken, result: sampleResult(acc))
        }
        let c = try store.compare(CompareQuery(by: "quantizer", baseline: "tnn"))
        #expect(c.jobs == 6 && c.values == ["fatnn", "fp", "tnn"])
        let fatnn = try row(c, "fatnn")
        #expect(fatnn.pairs == 2 && abs((fatnn.meanDifference ?? 0) - 0.025) < 1e-12)
        #expect(try row(c, "fp").pairs == 0)
    }

    @Test func badInputSaysWhatAndWhy() {
        func message(_ q: CompareQuery) -> String {
            do { _ = try store.compare(q); return "" } catch let e as QueryError { return e.message } catch { return "\(error)" }
        }
        #expect(message(CompareQuery(by: "quantizer", baseline: "lsq2"))
                == "baseline 'lsq2' is not a value of quantizer among the 11 succeeded jobs that match; values: fatnn, fp, tnn")
        #expect(message(CompareQuery(by: "quantizer", baseline: "tnn", metric: "accuracy")).hasPrefix("unknown metric 'accuracy'; metrics: test_acc, val_acc"))
        #expect(message(CompareQuery(by: "optimiser", baseline: "sgd")).hasPrefix("unknown key 'optimiser'; keys: "))
        #expect(message(CompareQuery(by: "quantizer", baseline: "tnn", filter: "acc > 1")).contains("unknown field 'acc'"))
        #expect(message(CompareQuery(by: "quantizer", baseline: "tnn", filter: "model = mlp")).hasPrefix("nothing to compare"))
        #expect(message(CompareQuery(by: "quantizer", baseline: "tnn", ignoring: ["quantizer.kind"])) == "ignore: quantizer.kind is the compared key itself")
        #expect(message(CompareQuery(by: "quantizer", baseline: "tnn", ignoring: ["speed"])).hasPrefix("ignore: unknown key 'speed'"))
    }
}
