import Foundation
import GRDB

/// Group commit: write operations that arrive while a transaction is committing wait, and then
/// run together in the next `BEGIN IMMEDIATE` transaction, one savepoint each, with one commit
/// (one fsync) for all of them. Each caller is answered only after that commit, with its own
/// operation's value or error (a failed operation is rolled back to its savepoint and does not
/// affect the others).
///
/// The transaction uses `synchronous=FULL` when any operation in it needs durability, else
/// `NORMAL`. Batches run on one serial queue, never on the caller's thread (so HTTP event loops
/// are not blocked by SQLite), and hold at most ``maxBatch`` operations.
final class WriteBatcher: @unchecked Sendable {
    typealias Body = @Sendable (Database) throws -> any Sendable

    private struct Pending {
        let durable: Bool
        let body: Body
        let done: @Sendable (Result<any Sendable, any Error>) -> Void
    }

    /// Most operations committed together.
    static let maxBatch = 256

    private let pool: DatabasePool
    private let queue = DispatchQueue(label: "fatnn.store.writer")
    private let lock = NSLock()
    private var pending: [Pending] = []
    private var draining = false

    init(pool: DatabasePool) { self.pool = pool }

    /// Runs `body` in the next group transaction and returns its value once that has committed.
    func write<T: Sendable>(durable: Bool, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            enqueue(Pending(durable: durable, body: { try body($0) }, done: { r in
                c.resume(with: r.map { $0 as! T })
            }))
        }
    }

    private func enqueue(_ p: Pending) {
        let start = lock.withLock { () -> Bool in
            pending.append(p)
            if draining { return false }
            draining = true
            return true
        }
        if start { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            let batch = lock.withLock { () -> [Pending] in
                let b = Array(pending.prefix(Self.maxBatch))
                pending.removeFirst(b.count)
                if b.isEmpty { draining = false }
                return b
            }
            if batch.isEmpty { return }
            run(batch)
        }
    }

    private func run(_ batch: [Pending]) {
        let durable = batch.contains { $0.durable }
        var results: [Result<any Sendable, any Error>] = []
        do {
            try pool.writeWithoutTransaction { db in
                try JobStore.immediateTransaction(db, durable: durable) {
                    results = []
                    for p in batch {
                        var r: Result<any Sendable, any Error> = .failure(CancellationError())
                        do {
                            try Self.inSavepoint(db) { r = .success(try p.body(db)) }
                        } catch {
                            r = .failure(error)
                        }
                        results.append(r)
                    }
                }
            }
        } catch {
            results = batch.map { _ in .failure(error) }
        }
        for (p, r) in zip(batch, results) { p.done(r) }
    }

    /// Runs `body` in a savepoint: released when it returns, rolled back to when it throws.
    /// The three statements are prepared once per connection (GRDB's `inSavepoint` parses them
    /// for every call, which was a sixth of the writer's time with hundreds of operations per
    /// second).
    static func inSavepoint(_ db: Database, _ body: () throws -> Void) throws {
        try db.cachedStatement(sql: "SAVEPOINT op").execute()
        do {
            try body()
        } catch {
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT op").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT op").execute()
            throw error
        }
        try db.cachedStatement(sql: "RELEASE SAVEPOINT op").execute()
    }
}
