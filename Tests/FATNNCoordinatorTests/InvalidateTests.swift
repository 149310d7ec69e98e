@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Invalidating a succeeded job (issue 19): it runs again with fresh budgets, its result leaves the
/// leaderboard and the group summary, and the old result stays in its attempt history.
@Suite struct InvalidateTests {
    @Test func invalidatedJobRunsAgainAndKeepsItsOldResult() throws {
        let store = try TestClock().store()
        try finish(store, cnnSweep("inv", grid: #""quantizer.kind": ["fp"]"#, seeds: [1, 2])) { c, _ in (0.8 + Double(c.seed) / 100, 0.8) }
        let before = try store.query(LeaderboardQuery(columns: ["n", "test_acc_mean"]))
        #expect(before.rows.first?.first == .number(2))
        #expect(throws: StoreError.self) { try store.invalidate(jobs: [99], reason: "x") }
        try store.invalidate(jobs: [1], reason: "host gpu-3 had a broken BLAS")
        #expect(throws: StoreError.self) { try store.invalidate(jobs: [1], reason: "again") }  // queued, not succeeded
        let after = try store.query(LeaderboardQuery(columns: ["n", "test_acc_mean"]))
        guard case .number(let n)? = after.rows.first?.first, case .number(let mean)? = after.rows.first?.last else {
            Issue.record("\(after.rows)"); return
        }
        #expect(n == 1 && abs(mean - 0.82) < 1e-12, "only job 2's result is left: \(after.rows)")
        let attempts = try store.attempts(job: 1)
        #expect(attempts.count == 1 && attempts[0].invalidatedResult?.testAccuracy == 0.81)
        #expect(attempts[0].error?.contains("broken BLAS") == true)
        #expect(try store.result(job: 1) == nil)
        // It is handed out again, and its new result is accepted.
        let again = try #require(try store.claim(worker: "w", host: "h"))
        #expect(again.id == 1 && again.attempt == 2)
        try store.complete(job: 1, token: again.claimToken, result: sampleResult(0.85))
        #expect(try store.query(LeaderboardQuery(columns: ["n"])).rows.first == [.number(2)])
        #expect(try store.attempts(job: 1).map(\.invalidatedAt).map { $0 != nil } == [true, false])
    }
}
