@testable import FATNNCoordinator
import FATNNJobs
import FATNNVocabulary
import Foundation
import GRDB
import Testing

/// The query language against a real store: filters, grouping over seeds, sorting, columns,
/// errors that point at the token, and values that never reach the SQL text.
@Suite struct LeaderboardQueryTests {
    let clock = TestClock()
    let store: JobStore

    /// 2 quantizers x 2 learning rates x 3 seeds; accuracy = 0.80 + 0.05 (fatnn) + 0.01 lr-step + seed/100.
    init() throws {
        store = try clock.store()
        _ = try store.submit(try Sweep.parse(Data("""
            { "name": "q", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1, "batchSize": 64} },
              "grid": {"quantizer.kind": ["fp", "fatnn"], "training.learningRate": [0.05, 0.1]}, "seeds": [1, 2, 3] }
            """.utf8)), document: "{}")
        while let job = try store.claim(worker: "w", host: "h") {
            let acc = 0.80 + (job.config.quantizer.kind == .fatnn ? 0.05 : 0) + (job.config.training.learningRate == 0.1 ? 0.01 : 0)
                + Double(job.config.seed) / 100
            try store.complete(job: job.id, token: job.claimToken, result: sampleResult(acc))
        }
    }

    func column(_ t: QueryTable, _ name: String) -> [JSONValue] { t.rows.map { $0[t.columns.firstIndex(of: name)!] } }

    @Test func groupsOverSeedsWithMeanStdMinMax() throws {
        let t = try store.query(LeaderboardQuery())
        #expect(t.rows.count == 4)
        #expect(column(t, "n") == Array(repeating: .number(3), count: 4))
        #expect(column(t, "quantizer").first == .string("fatnn") && column(t, "lr").first == .number(0.1), "best mean first")
        guard case .number(let mean) = column(t, "test_acc_mean")[0], case .number(let std) = column(t, "test_acc_std")[0] else {
            Issue.record("\(t)"); return
        }
        #expect(abs(mean - 0.88) < 1e-9 && abs(std - 0.01) < 1e-9, "seeds 1,2,3 add 0.01..0.03: mean 0.88, sample std 0.01")
        guard case .number(let lo) = column(t, "test_acc_min")[0], case .number(let hi) = column(t, "test_acc_max")[0] else {
            Issue.record("test_acc_min/max are not numbers: \(t)"); return
        }
        #expect(abs(lo - 0.87) < 1e-9 && abs(hi - 0.89) < 1e-9)
    }

    @Test func filtersSortsAndPicksColumns() throws {
        let t = try store.query(LeaderboardQuery(filter: "quantizer in (fatnn, tnn) and model = cnn-s and test_acc > 0.865",
                                                 sort: "test_acc:asc", columns: ["id", "quantizer", "seed", "test_acc"], group: false))
        #expect(t.columns == ["id", "quantizer", "seed", "test_acc"])
        #expect(column(t, "quantizer").allSatisfy { $0 == .string("fatnn") })
        #expect(t.rows.count == 5, "fatnn above 0.865: 0.87, 0.88 (lr 0.05, seeds 2, 3) and 0.87, 0.88, 0.89 (lr 0.1): \(t.rows)")
        let accs = column(t, "test_acc").compactMap { if case .number(let x) = $0 { return x } else { return nil } }
        #expect(accs == accs.sorted())
        let one = try store.query(LeaderboardQuery(filter: "(seed = 1 or seed = 3) and not lr = 0.05 and training.batchSize = 64",
                                                   group: false, limit: 100))
        #expect(one.rows.count == 4)
        let none = try store.query(LeaderboardQuery(filter: "training.batchSize = 128", group: false))
        #expect(none.rows.isEmpty)
        #expect(try store.query(LeaderboardQuery(group: false, limit: 5)).rows.count == 5)
        #expect(try store.query(LeaderboardQuery(sweep: "other")).rows.isEmpty)
    }

    @Test func badQueriesSayWhereAndWhy() {
        func error(_ q: LeaderboardQuery) -> QueryError? {
            do { _ = try store.query(q); return nil } catch let e as QueryError { return e } catch { return nil }
        }
        let unknown = error(LeaderboardQuery(filter: "model = mlp and accuracy > 0.5"))
        #expect(unknown?.column == 17 && unknown?.message.contains("unknown field 'accuracy'") == true)
        #expect(error(LeaderboardQuery(filter: "test_acc > high"))?.message.contains("is a number") == true)
        #expect(error(LeaderboardQuery(filter: "model > 3"))?.message.contains("is text") == true)
        #expect(error(LeaderboardQuery(sort: "bogus"))?.message.contains("cannot sort by 'bogus'") == true)
        #expect(error(LeaderboardQuery(columns: ["seed"]))?.message.contains("in grouped mode") == true)
    }

    @Test func theSummaryPathAgreesWithAggregatingEveryJob() throws {
        // A filter on group keys only is answered from group_results; adding a per-job term forces the full aggregate.
        for (fast, full) in [("quantizer = fatnn", "quantizer = fatnn and seed >= 0"), ("", "seed >= 0"),
                             ("lr < 0.08 or model = mlp", "(lr < 0.08 or model = mlp) and test_acc >= 0")] {
            let a = try store.query(LeaderboardQuery(filter: fast, columns: QueryFields.groupColumns))
            let b = try store.query(LeaderboardQuery(filter: full, columns: QueryFields.groupColumns))
            #expect(try QuerySQL.compile(LeaderboardQuery(filter: fast)).sql.contains("group_results"))
            #expect(try !QuerySQL.compile(LeaderboardQuery(filter: full)).sql.contains("group_results"))
            #expect(a.rows.count == b.rows.count && !a.rows.isEmpty)
            for (x, y) in zip(a.rows, b.rows) {
                for (u, v) in zip(x, y) {
                    if case .number(let p) = u, case .number(let q) = v { #expect(abs(p - q) < 1e-9, "\(fast): \(x) vs \(y)") }
                    else { #expect(u == v, "\(fast): \(x) vs \(y)") }
                }
            }
        }
    }

    @Test func perJobMetricSortsPutJobsWithoutTheMetricLastByID() throws {
        _ = try store.submit(try Sweep.parse(Data("""
            { "name": "later", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
              "seeds": [7, 8] }
            """.utf8)), document: "{}")
        for direction in ["desc", "asc"] {
            let t = try store.query(LeaderboardQuery(sort: "test_acc:\(direction)", columns: ["id", "test_acc"], group: false, limit: 14))
            let accs = column(t, "test_acc").compactMap { if case .number(let x) = $0 { return x } else { return nil } }
            #expect(accs.count == 12 && accs == (direction == "desc" ? accs.sorted(by: >) : accs.sorted()))
            #expect(Array(column(t, "test_acc").suffix(2)) == [.null, .null] && Array(column(t, "id").suffix(2)) == [.number(13), .number(14)])
            let limited = try store.query(LeaderboardQuery(sort: "test_acc:\(direction)", columns: ["id"], group: false, limit: 3))
            #expect(limited.rows == Array(t.rows.prefix(3)).map { [$0[0]] })
        }
        // A filter applies to both parts; val_acc (NULL for none of these) sorts the same way.
        let fatnn = try store.query(LeaderboardQuery(filter: "quantizer = fatnn or model = mlp", sort: "val_acc", columns: ["quantizer", "val_acc"], group: false))
        #expect(fatnn.rows.count == 8 && column(fatnn, "quantizer").prefix(6).allSatisfy { $0 == .string("fatnn") })
    }

    /// Per-job queries sorted by test accuracy read the results index in two statements; they
    /// return exactly the rows, in the order, of the one statement that scans every job (ties in
    /// accuracy, jobs without results, filters, sweeps, limits on both sides of the boundary).
    @Test func theIndexedPlanAgreesWithScanningEveryJob() throws {
        _ = try store.submit(try Sweep.parse(Data("""
            { "name": "later", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
              "seeds": [7, 8, 9] }
            """.utf8)), document: "{}")
        for sort in ["test_acc:desc", "test_acc:asc"] {
            for filter in ["", "quantizer = fatnn or model = mlp", "seed >= 2 and test_acc < 0.87", "model = nothing"] {
                for sweep in [nil, "q", "later"] {
                    for limit in [1, 5, 12, 13, 15, 100] {
                        let q = LeaderboardQuery(filter: filter, sort: sort, columns: ["id", "sweep", "test_acc", "state"],
                                                 group: false, limit: limit, sweep: sweep)
                        let fast = try QuerySQL.compile(q), scan = try QuerySQL.compile(q, indexed: false)
                        #expect(fast.rest != nil && scan.rest == nil)
                        let a = try store.pool.read { try JobStore.run(fast, $0) }, b = try store.pool.read { try JobStore.run(scan, $0) }
                        #expect(a.rows == b.rows, "\(sort) \(filter) \(sweep ?? "-") \(limit)")
                    }
                }
            }
        }
        let plan = try store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + (try QuerySQL.compile(LeaderboardQuery(group: false))).sql,
                             arguments: [50]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("results_accuracy") }, "\(plan)")
    }

    @Test func valuesAreBoundNeverSpliced() throws {
        let t = try store.query(LeaderboardQuery(filter: "model = \"x' OR 1=1; DROP TABLE jobs; --\"", group: false))
        #expect(t.rows.isEmpty)
        #expect(try store.counts()["succeeded"] == 12)
    }
}
