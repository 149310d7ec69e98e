@testable import FATNNCoordinator
import Foundation
import GRDB
import Testing

/// Group commit: operations share transactions, yet each one's writes stand or fall alone.
@Suite struct WriteBatcherTests {
    struct Boom: Error {}

    @Test func aFailedOperationIsRolledBackAndTheOthersInItsBatchCommit() async throws {
        let dir = NSTemporaryDirectory() + "fatnn-batch-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: dir + "/t.sqlite")
        try await pool.write { try $0.execute(sql: "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)") }
        let batcher = WriteBatcher(pool: pool)
        // Many writers at once, so that most batches hold several operations; every third one
        // writes and then throws.
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for k in 0..<300 {
                group.addTask {
                    do {
                        try await batcher.write(durable: k % 2 == 0) { db in
                            try db.execute(sql: "INSERT INTO t (k, v) VALUES (?, 'x')", arguments: [k])
                            if k % 3 == 0 { throw Boom() }
                        }
                        return (k, true)
                    } catch {
                        #expect(error is Boom)
                        return (k, false)
                    }
                }
            }
            var all: [Int: Bool] = [:]
            for await (k, ok) in group { all[k] = ok }
            return all
        }
        let stored = Set(try await pool.read { try Int.fetchAll($0, sql: "SELECT k FROM t") })
        #expect(stored == Set((0..<300).filter { $0 % 3 != 0 }))
        #expect(outcomes.filter(\.value).count == 200)
        // The connection is usable afterwards: no savepoint left open.
        try await batcher.write(durable: true) { db in try db.execute(sql: "INSERT INTO t (k, v) VALUES (1000, 'y')") }
        #expect(try await pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == 201)
        #expect(try await pool.writeWithoutTransaction { db in !db.isInsideTransaction })
    }
}
