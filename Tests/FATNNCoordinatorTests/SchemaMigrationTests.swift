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
        #expect(try store.counts() == ["queued": 0, "leased": 1, "succeeded": 1, "failed": 1, "dead": 0, "cancelled": 0, "pruned": 0])
        #expect(try store.leaderboard().first { $0.id == 1 }?.testAccuracy == 0.9)
        try store.heartbeat(job: 2, token: "b", epoch: nil)  // the old claim is still valid
        #expect(throws: StoreError.staleClaim(2)) { try store.heartbeat(job: 2, token: "a", epoch: nil) }
        #expect(try store.retry(states: [.failed]) == [3])
        #expect(try store.integrityCheck() == "ok")
        // Version 4 filled the group summary from the stored result.
        let grouped = try store.query(LeaderboardQuery(filter: "model = mlp"))
        #expect(grouped.rows.count == 1 && grouped.rows[0][grouped.columns.firstIndex(of: "test_acc_mean")!] == .number(0.9))
    }

    /// Version 8 rebuilds jobs and attempts (new state and outcome `pruned`): every column of a
    /// version 7 database survives, the new columns start NULL, and the new values are allowed.
    @Test func version7DatabaseMigratesToEarlyStopping() throws {
        let path = temporaryDatabase()
        var before: [Row] = []
        var attemptsBefore: [Row] = []
        do {
            let queue = try DatabaseQueue(path: path)
            var migrator = DatabaseMigrator()
            for (n, sql) in [("v1", Schema.version1), ("v2", Schema.version2), ("v3", Schema.version3), ("v4", Schema.version4)] {
                migrator.registerMigration(n) { db in try db.execute(sql: sql) }
            }
            migrator.registerMigration("v5") { db in try Schema.regroupFineTuningJobs(db) }
            migrator.registerMigration("v6") { db in try db.execute(sql: Schema.version6) }
            migrator.registerMigration("v7") { db in try db.execute(sql: Schema.version7) }
            try migrator.migrate(queue)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO sweeps (id, name, document, submitted_at) VALUES (1, 'old', '{}', 1)")
                try db.execute(sql: """
                    INSERT INTO jobs (id, sweep_id, config_hash, replica, group_hash, config, model, dataset, split, quantizer, learning_rate,
                                      seed, epochs, state, priority, claim_token, worker, host, leased_at, lease_expires_at, attempts,
                                      last_epoch, last_loss, last_accuracy, last_heartbeat_at, error, created_at, updated_at)
                    VALUES (7, 1, 'h7', 2, 'g', '{}', 'mlp', 'mnist', 's', 'fp', 0.1, 3, 4, 'leased', 5, 'tok', 'w', 'host', 10, 2e9, 1,
                            2, 0.5, 0.8, 11, 'e', 1, 12)
                    """)
                try db.execute(sql: """
                    INSERT INTO attempts (job_id, attempt, worker, host, started_at, outcome, identity) VALUES (7, 1, 'w', 'host', 10, 'running', 'alice')
                    """)
                before = try Row.fetchAll(db, sql: "SELECT * FROM jobs")
                attemptsBefore = try Row.fetchAll(db, sql: "SELECT * FROM attempts")
            }
        }
        let store = try JobStore(path: path, clock: { 1_900_000_000 })
        try store.pool.read { db in
            let after = try Row.fetchAll(db, sql: "SELECT * FROM jobs")
            #expect(after.count == 1)
            for column in before[0].columnNames { #expect(after[0][column] as DatabaseValue == before[0][column] as DatabaseValue, "jobs.\(column)") }
            #expect(after[0]["stage"] as String? == nil && after[0]["pruning"] as String? == nil)
            #expect(try Row.fetchAll(db, sql: "SELECT * FROM attempts") == attemptsBefore)
        }
        // The running job can now end pruned.
        try store.pool.write { db in
            try db.execute(sql: "UPDATE jobs SET state = 'pruned' WHERE id = 7")
            try db.execute(sql: "UPDATE attempts SET outcome = 'pruned' WHERE job_id = 7")
        }
        #expect(try store.counts()["pruned"] == 1)
        #expect(try store.integrityCheck() == "ok")
    }
}
