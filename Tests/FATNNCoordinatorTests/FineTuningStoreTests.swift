@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import Testing

/// Jobs that start from another job's model: held until the parent succeeded and stored its
/// model, failed when the parent fails; artifacts are stored only by the current claim.
@Suite struct FineTuningStoreTests {
    private func stagedSweep() throws -> Sweep {
        try Sweep.parse(Data("""
            { "name": "staged", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
              "seeds": [1], "retries": {"errors": 0}, "stages": [ {"name": "fp"}, {"name": "q", "from": "fp", "grid": {"quantizer.kind": ["fatnn"]}} ] }
            """.utf8))
    }

    private let model = Data("FATNNMD1 model bytes".utf8)

    @Test func childWaitsForParentSuccessAndItsModel() throws {
        let clock = TestClock()
        let store = try clock.store()
        let sweep = try stagedSweep()
        #expect(try store.submit(sweep, document: "{}").added == 2)
        let parent = try #require(try store.claim(worker: "w1", host: "h"))
        #expect(parent.config.initFrom == nil)
        #expect(try store.claim(worker: "w2", host: "h") == nil, "the child waits while the parent runs")
        try store.storeArtifact(job: parent.id, token: parent.claimToken, data: model)
        #expect(try store.claim(worker: "w2", host: "h") == nil, "a stored model is not enough: the parent must succeed")
        try store.complete(job: parent.id, token: parent.claimToken, result: sampleResult(0.9))
        let child = try #require(try store.claim(worker: "w2", host: "h"))
        #expect(child.config.initFrom == parent.config.configHash)
        let stored = try #require(try store.artifact(configHash: parent.config.configHash))
        #expect(stored.data == model && stored.sha256 == SHA256.hex([UInt8](model)))
    }

    @Test func parentFailureFailsTheChild() throws {
        let store = try TestClock().store()
        _ = try store.submit(try stagedSweep(), document: "{}")
        let parent = try #require(try store.claim(worker: "w1", host: "h"))
        try store.fail(job: parent.id, token: parent.claimToken, error: "diverged")
        #expect(try store.counts()["failed"] == 2)
        #expect(try store.claim(worker: "w1", host: "h") == nil)
    }

    /// A child running when its parent ends without success fails as soon as it is queued again
    /// (``LifecycleEffect/checkParent``), instead of waiting for a parent that cannot succeed.
    @Test func aChildQueuedAgainAfterItsParentEndedFails() throws {
        let store = try TestClock().store()
        _ = try store.submit(try stagedSweep(), document: "{}")
        let parent = try #require(try store.claim(worker: "w1", host: "h"))
        try store.storeArtifact(job: parent.id, token: parent.claimToken, data: model)
        try store.complete(job: parent.id, token: parent.claimToken, result: sampleResult(0.9))
        let child = try #require(try store.claim(worker: "w2", host: "h"))
        try store.invalidate(jobs: [parent.id], reason: "bad data")
        #expect(try store.cancel(jobs: [parent.id]) == [parent.id])
        #expect(try store.jobDetail(child.id)?.row.state == .leased, "a running child finishes its attempt")
        try store.release(job: child.id, token: child.claimToken)
        let detail = try #require(try store.jobDetail(child.id))
        #expect(detail.row.state == .failed && detail.error == "the job it starts from (\(parent.id)) ended cancelled")
        // Retrying the child alone while the parent stays cancelled fails it again at once.
        #expect(try store.retry(states: [.failed]) == [child.id])
        #expect(try store.jobDetail(child.id)?.row.state == .failed)
    }

    @Test func onlyTheCurrentClaimStoresAModel() throws {
        let clock = TestClock()
        let store = try clock.store()
        _ = try store.submit(try stagedSweep(), document: "{}")
        let first = try #require(try store.claim(worker: "w1", host: "h"))
        clock.advance(61)
        let second = try #require(try store.claim(worker: "w2", host: "h"))
        #expect(second.id == first.id)
        #expect(throws: StoreError.staleClaim(first.id)) { try store.storeArtifact(job: first.id, token: first.claimToken, data: model) }
        #expect(try store.artifact(configHash: first.config.configHash) == nil)
    }

    @Test func unknownParentIsRejectedAndNothingIsStored() throws {
        let store = try TestClock().store()
        let orphan = try Sweep.parse(Data("""
            { "name": "orphan", "base": { "model": "cnn-s", "initFrom": "\(String(repeating: "ab", count: 32))", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0.1} }, "seeds": [1] }
            """.utf8))
        #expect(throws: StoreError.self) { try store.submit(orphan, document: "{}") }
        #expect(try store.counts().values.reduce(0, +) == 0)
    }

    /// A QAT stage over two seeds of an FP stage: each quantizer's seeds form one group (their
    /// parents differ only in the seed), so the grouped leaderboard has one row per quantizer with
    /// n = 2; and a store whose fine-tuning jobs were grouped by their parent's config hash (before
    /// schema version 5) is regrouped by the migration.
    @Test func fineTuningJobsGroupOverTheSeedsOfTheirParents() throws {
        let store = try TestClock().store()
        let sweep = try Sweep.parse(Data("""
            { "name": "staged", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
              "seeds": [1, 2], "stages": [ {"name": "fp"}, {"name": "q", "from": "fp", "grid": {"quantizer.kind": ["fatnn", "tnn"]}} ] }
            """.utf8))
        #expect(try store.submit(sweep, document: "{}").added == 6)
        var accuracy = 0.8
        while let job = try store.claim(worker: "w", host: "h") {
            try store.storeArtifact(job: job.id, token: job.claimToken, data: model)
            try store.complete(job: job.id, token: job.claimToken, result: sampleResult(accuracy))
            accuracy += 0.01
        }
        func groups() throws -> [String: Set<String>] {
            try store.pool.read { db in
                var g: [String: Set<String>] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT quantizer, group_hash FROM jobs") {
                    g[row["quantizer"], default: []].insert(row["group_hash"])
                }
                return g
            }
        }
        /// `n` of every row of the grouped leaderboard.
        func groupedRows() throws -> [Int] {
            try store.query(LeaderboardQuery(columns: ["quantizer", "n"])).rows.map { row in
                if case .number(let n) = row[1] { Int(n) } else { -1 }
            }
        }
        let fixed = try groups()
        #expect(fixed.count == 3 && fixed.values.allSatisfy { $0.count == 1 }, "\(fixed)")
        #expect(Set(fixed.values.map { $0.first! }).count == 3)
        let rows = try groupedRows()
        #expect(rows == [2, 2, 2], "\(rows)")
        // The old grouping (parent by config hash), then the migration's regrouping.
        try store.write { db in
            for row in try Row.fetchAll(db, sql: "SELECT id, config FROM jobs WHERE parent_hash IS NOT NULL") {
                let old = try JobConfig.fromCanonical(row["config"]).groupHash
                try db.execute(sql: "UPDATE jobs SET group_hash = ? WHERE id = ?", arguments: [old, row["id"] as Int64])
            }
            try db.execute(sql: "DELETE FROM group_results")
            try db.execute(sql: "INSERT INTO group_results " + GroupSummary.select(where: "1"))
        }
        #expect(try groups()["fatnn"]?.count == 2, "the old grouping splits the seeds")
        #expect(try groupedRows().count == 5)
        try store.write { db in try Schema.regroupFineTuningJobs(db) }
        #expect(try groups() == fixed)
        #expect(try groupedRows() == [2, 2, 2])
    }
}
