@testable import FATNNCoordinator
import FATNNJobs
import FATNNPostgresStore
import Foundation
import Testing

/// Submissions on every store backend: a sweep larger than one insert batch, resubmission adding
/// nothing, `replicate` adding numbered copies, and a fine-tuning job whose parent is unknown refused.
@Suite struct SubmitStoreTests {
    @Test func onSQLite() async throws { try await check(try TestClock().store().queue) }

    @Test(.enabled(if: PostgresFixtures.url != nil, PostgresFixtures.skipReason))
    func onPostgreSQL() async throws { try await PostgresFixtures.withStore(clock: TestClock()) { try await check($0) } }

    func check(_ store: some JobLifecycleStore & JobReadStore) async throws {
        let big = try sampleSweep(name: "big", seeds: Array(1...601), rates: [0.05, 0.1])
        #expect(try await store.submit(big, document: "{}", replicate: 0).added == 1202)
        let again = try await store.submit(big, document: "{}", replicate: 0)
        #expect(again.added == 0 && again.duplicates == 1202)
        let small = try sampleSweep(name: "small", seeds: [1], rates: [0.3])
        #expect(try await store.submit(small, document: "{}", replicate: 0).added == 1)
        #expect(try await store.submit(small, document: "{}", replicate: 2).added == 2)
        #expect(try await store.counts()["queued"] == 1205)
        let replicas = try await store.export(sweep: "small").map(\.replica)
        #expect(replicas == [0, 1, 2])
        let orphan = """
            { "name": "orphan", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1},
              "initFrom": "\(String(repeating: "a", count: 64))" }, "seeds": [1] }
            """
        await #expect(throws: StoreError.self) { _ = try await store.submit(try Sweep.parse(Data(orphan.utf8)), document: orphan, replicate: 0) }
    }
}
