@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import Testing

/// A database written by schema version 2 (before the lifecycle) opens under version 3 with
/// every job, claim and result kept.
@Suite struct SchemaMigrationTests {
    @Test func version2DatabaseMigratesKeepingJobsClaimsAndResults() throws {
        let path = temporaryDatabase()
        do {
            let queue = try DatabaseQueue(path: path)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in try db.execute(sql: Schema.version1) }
            migrator.registerMigration("v2") { db in try db.execute(sql: Schema.version2) }
            try migrator.migrate(queue)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO sweeps (id, name, document, submitted_at) VALUES (1, 'old', '{}', 1)")
                for (id, state, token) in [(1, "succeeded", "a"), (2, "leased", "b"), (3, "failed", nil)] as [(Int, String, String?)] {
                    try db.execute(sql: """
                        INSERT INTO jobs (id, sweep_id, config_hash, group_hash, config, model, dataset, split, quantizer,
                                          learning_rate, seed, epochs, state, claim_token, lease_expires_at, attempts, created_at, updated_at)
                        VALUES (?, 1, ?, 'g', '{}', 'mlp', 'fashion-mnist', 's', 'fp', 0.1, ?, 2, ?, ?, ?, 1, 1, 1)
                        """, arguments: [id, "h\(id)", id, state, token, state == "leased" ? 2_000_000_000.0 : nil])
                }
                try db.execute(sql: """
                    INSERT INTO results (job_id, test_accuracy, test_loss, train_loss, train_seconds, images_per_second, host,
                                         threads, result, finished_at) VALUES (1, 0.9, 0.3, 0.2, 5, 100, 'h', 1, '{}', 1)
                    """)
            }
        }
        let store = try JobStore(path: path, clock: { 1_900_000_000 })
        #expect(try store.counts() == ["queued": 0, "leased": 1, "succeeded": 1, "failed": 1, "dead": 0, "cancelled": 0])
        #expect(try store.leaderboard().first { $0.id == 1 }?.testAccuracy == 0.9)
        try store.heartbeat(job: 2, token: "b", epoch: nil)  // the old claim is still valid
        #expect(throws: StoreError.staleClaim(2)) { try store.heartbeat(job: 2, token: "a", epoch: nil) }
        #expect(try store.retry(states: [.failed]) == [3])
        #expect(try store.integrityCheck() == "ok")
        // Version 4 filled the group summary from the stored result.
        let grouped = try store.query(LeaderboardQuery(filter: "model = mlp"))
        #expect(grouped.rows.count == 1 && grouped.rows[0][grouped.columns.firstIndex(of: "test_acc_mean")!] == .number(0.9))
    }
}
