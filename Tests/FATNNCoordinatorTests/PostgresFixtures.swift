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
        guard let url else { throw CancellationError() }
        var logger = Logger(label: "test-postgres")
        logger.logLevel = .error
        let schema = "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        let store = try PostgresJobStore(url: url, schema: schema, leaseSeconds: leaseSeconds, backoffSeconds: backoffSeconds,
                                         maxConnections: 4, logger: logger, clock: { clock.now })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            return try await body(store)
        }
    }
}
