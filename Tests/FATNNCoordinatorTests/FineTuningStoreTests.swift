@testable import FATNNCoordinator
import FATNNJobs
import Foundation
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
}
