import FATNNCoordinator
import FATNNPostgresStore
import Foundation
import Logging
import Testing

/// The PostgreSQL server the store suites run against: `FATNN_TEST_POSTGRES` (a store URL, as
/// `scripts/postgres.sh start DIR` prints and `scripts/test.sh` sets). Each store gets a fresh
/// schema of its own in that database.
enum PostgresFixtures {
    static let url = ProcessInfo.processInfo.environment["FATNN_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    static let skipReason: Comment = "FATNN_TEST_POSTGRES is not set (scripts/test.sh starts a server with scripts/postgres.sh)"

    /// A migrated store on a fresh schema, its connection pool running for the length of `body`.
    static func withStore<T: Sendable>(leaseSeconds: Double = 60, backoffSeconds: Double = 0, clock: TestClock,
                                       _ body: (PostgresJobStore) async throws -> T) async throws -> T {
        try await withStores(1, leaseSeconds: leaseSeconds, backoffSeconds: backoffSeconds, clock: clock) { try await body($0[0]) }
    }

    /// `count` stores on one fresh schema (as `count` coordinators on one database), each with its
    /// own connection pool, migrated at the same time.
    static func withStores<T: Sendable>(_ count: Int, leaseSeconds: Double = 60, backoffSeconds: Double = 0, maxConnections: Int = 4,
                                        clock: TestClock, _ body: ([PostgresJobStore]) async throws -> T) async throws -> T {
        guard let url else { throw CancellationError() }
        var logger = Logger(label: "test-postgres")
        logger.logLevel = .error
        let schema = "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        let stores = try (0..<count).map { _ in
            try PostgresJobStore(url: url, schema: schema, leaseSeconds: leaseSeconds, backoffSeconds: backoffSeconds,
                                 maxConnections: maxConnections, logger: logger, clock: { clock.now })
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.run() } }
            defer { group.cancelAll() }
            try await withThrowingTaskGroup(of: Void.self) { migrations in
                for store in stores { migrations.addTask { try await store.migrate() } }
                try await migrations.waitForAll()
            }
            return try await body(stores)
        }
    }
}
