@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import Testing

/// `results --select METRIC --by KEYS`: per value of the keys, the config with the best mean of
/// the metric, reported with its test accuracy.
@Suite struct LeaderboardSelectTests {
    let store: JobStore

    /// cnn-s, 2 seeds per config; (validation, test) accuracy plus seed/1000 on both:
    ///
    /// | quantizer | lr 0.05      | lr 0.1       |
    /// |-----------|--------------|--------------|
    /// | fatnn     | 0.90, 0.80   | 0.85, 0.88   |  validation picks lr 0.05, test would pick 0.1
    /// | tnn       | 0.70, 0.75   | 0.72, 0.74   |  validation picks lr 0.1, test would pick 0.05
    /// | lsq2      | 0.60, 0.61   | 0.60, 0.62   |  no seed offset; lr 0.1 has one seed: a tie, n decides (0.05)
    init() throws {
        store = try TestClock().store()
        let table: [String: [Double: (Double, Double)]] = [
            "fatnn": [0.05: (0.90, 0.80), 0.1: (0.85, 0.88)], "tnn": [0.05: (0.70, 0.75), 0.1: (0.72, 0.74)],
            "lsq2": [0.05: (0.60, 0.61), 0.1: (0.60, 0.62)],
        ]
        let acc = { (c: JobConfig, _: Int) -> (test: Double, val: Double) in
            let (val, test) = table[c.quantizer.kind.rawValue]?[c.training.learningRate] ?? (0, 0)
            let offset = c.quantizer.kind == .lsq2 ? 0 : Double(c.seed) / 1000
            return (test + offset, val + offset)
        }
        try finish(store, cnnSweep("sel", grid: #""quantizer.kind": ["fatnn", "tnn"], "training.learningRate": [0.05, 0.1]"#, seeds: [1, 2]), acc)
        try finish(store, cnnSweep("lsq2", grid: #""quantizer.kind": ["lsq2"], "training.learningRate": [0.05]"#, seeds: [1, 2]), acc)
        try finish(store, cnnSweep("lsq2-one", grid: #""quantizer.kind": ["lsq2"]"#, seeds: [1]), acc)
    }

    func picks(_ t: QueryTable) -> [String: JSONValue] {
        let q = t.columns.firstIndex(of: "quantizer"), lr = t.columns.firstIndex(of: "lr")
        return Dictionary(uniqueKeysWithValues: t.rows.map { row in
            (q.map { row[$0] }.flatMap { if case .string(let s) = $0 { return s } else { return nil } } ?? "?", lr.map { row[$0] } ?? .null)
        })
    }

    @Test func picksByValidationNotTest() throws {
        // A filter on group keys only is answered from the per-group summary; a per-job term aggregates the jobs.
        for filter in ["", "seed >= 0"] {
            let t = try store.query(LeaderboardQuery(filter: filter, select: "val_acc", by: ["quantizer"]))
            #expect(t.rows.count == 3)
            #expect(picks(t) == ["fatnn": .number(0.05), "tnn": .number(0.1), "lsq2": .number(0.05)], "\(filter): \(t.rows)")
            // Default sort: best mean test accuracy first; fatnn's pick reports its test accuracy 0.80 + 0.0015.
            let i = try #require(t.columns.firstIndex(of: "test_acc_mean")), n = try #require(t.columns.firstIndex(of: "n"))
            #expect(t.rows.map { $0[t.columns.firstIndex(of: "quantizer")!] } == [.string("fatnn"), .string("tnn"), .string("lsq2")])
            guard case .number(let fatnnTest) = t.rows[0][i] else { Issue.record("\(t.rows[0])"); return }
            #expect(abs(fatnnTest - 0.8015) < 1e-9 && t.rows[0][n] == .number(2) && t.rows[2][n] == .number(2))
        }
        // Sorting by test accuracy instead would have chosen the other configs.
        let byTest = try store.query(LeaderboardQuery(select: "test_acc", by: ["quantizer"]))
        #expect(picks(byTest)["fatnn"] == .number(0.1) && picks(byTest)["tnn"] == .number(0.05))
        // --where narrows the candidates; asc picks the lowest; by several keys gives one row per combination.
        #expect(picks(try store.query(LeaderboardQuery(filter: "lr = 0.1", select: "val_acc", by: ["quantizer"])))["fatnn"] == .number(0.1))
        #expect(picks(try store.query(LeaderboardQuery(select: "val_acc:asc", by: ["quantizer"])))["fatnn"] == .number(0.1))
        #expect(try store.query(LeaderboardQuery(select: "val_acc", by: ["quantizer", "lr"])).rows.count == 6)
        // --by keys left out of --columns are shown first.
        let narrow = try store.query(LeaderboardQuery(columns: ["test_acc_mean"], limit: 1, select: "val_acc", by: ["quantizer"]))
        #expect(narrow.columns == ["quantizer", "test_acc_mean"] && narrow.rows.count == 1)
    }

    @Test func badSelectionsSayWhy() {
        func message(_ q: LeaderboardQuery) -> String {
            do { _ = try store.query(q); return "" } catch let e as QueryError { return e.message } catch { return "\(error)" }
        }
        #expect(message(LeaderboardQuery(select: "val_acc")).hasPrefix("select: needs by"))
        #expect(message(LeaderboardQuery(by: ["quantizer"])).hasPrefix("by: needs select"))
        #expect(message(LeaderboardQuery(group: false, select: "val_acc", by: ["quantizer"])).contains("cannot be used per job"))
        #expect(message(LeaderboardQuery(select: "val_acc", by: ["seed"])).hasPrefix("by: unknown key 'seed'; allowed: model, quantizer"))
        #expect(message(LeaderboardQuery(select: "accuracy", by: ["model"])).hasPrefix("select: unknown metric 'accuracy'"))
        #expect(message(LeaderboardQuery(select: "val_acc:up", by: ["model"])).contains("direction must be desc"))
    }
}
