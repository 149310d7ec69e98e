import FATNNCoordinator
import FATNNJobs
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The job store on a PostgreSQL database, for several coordinator processes sharing one
/// database: the same lifecycle (``JobLifecycle``, the same columns and the same lifecycle SQL)
/// as the SQLite store, with row locks where SQLite has its single writer. A claim picks with
/// `FOR UPDATE SKIP LOCKED`, so concurrent coordinators never lease one job twice; every other
/// event locks its job's row (`SELECT … FOR UPDATE`) before applying the rules.
///
/// Times come from the injected clock, never from the database's `now()`, so that tests drive
/// both stores with one clock. The connection pool (`PostgresClient`) must be running: run this
/// store as a `Service` (``run()``) in the caller's service group or task group.
public final class PostgresJobStore: Service, Sendable {
    let client: PostgresClient
    /// Lease and backoff timing.
    public let timing: LifecycleTiming
    let now: @Sendable () -> Double
    let logger: Logger
    /// The PostgreSQL schema (namespace) holding the tables; nil: the database's default.
    public let schema: String?
    /// When a claim last reaped overdue leases (claims reap at most once a second, as on SQLite).
    let claimReaps = ClaimReapThrottle()

    /// A store on the database `url` names (``PostgresURL``); nothing is opened until ``run()``
    /// and ``migrate()``.
    ///
    /// - Parameters:
    ///   - schema: keep the tables in this PostgreSQL schema (created by ``migrate()``), so that
    ///     several stores share one database; lower-case letters, digits and `_` (default: the
    ///     URL's `schema=` parameter, else the database's default schema).
    ///   - leaseSeconds: lease length granted by claims and extended by heartbeats.
    ///   - backoffSeconds: wait before the first re-run of a failed attempt (doubles per retry).
    ///   - clock: current time in Unix seconds (injectable for tests).
    public init(url: String, schema: String? = nil, leaseSeconds: Double = 120, backoffSeconds: Double = 5, maxConnections: Int = 16,
                logger: Logger, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        var configuration = try PostgresURL.configuration(url)
        configuration.options.maximumConnections = maxConnections
        let schema = try schema ?? PostgresURL.schema(url)
        if let schema {
            if let problem = PostgresURL.schemaProblem(schema) { throw PostgresURL.Invalid(url: url, reason: problem) }
            configuration.options.additionalStartupParameters.append(("search_path", schema))
        }
        self.schema = schema
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.timing = LifecycleTiming(leaseSeconds: leaseSeconds, backoffSeconds: backoffSeconds,
                                      maxBackoffSeconds: max(backoffSeconds, min(600, backoffSeconds * 64)))
        self.now = clock
        self.logger = logger
    }

    /// Runs the connection pool until cancelled (or the service group shuts down).
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.client.run() }
    }

    /// Runs the connection pool, migrates the schema (``migrate()``) and runs `body`; stops the
    /// pool when `body` returns or throws.
    ///
    /// - Parameter connectSeconds: how long the migration may wait for the database (a wrong
    ///   URL or a server that is down fails here, naming the URL, instead of waiting forever).
    public func withRunning<T: Sendable>(connectSeconds: Double = 30, _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            defer { group.cancelAll() }
            try await withThrowingTaskGroup(of: Bool.self) { race in
                race.addTask { try await self.migrate(); return true }
                race.addTask { try await Task.sleep(nanoseconds: UInt64(connectSeconds * 1e9)); return false }
                defer { race.cancelAll() }
                guard try await race.next() == true else { throw PostgresStoreError.unreachable(seconds: connectSeconds) }
            }
            return try await body()
        }
    }

    /// Reads on one pooled connection, outside a transaction (each statement sees what was
    /// committed when it started).
    func read<T: Sendable>(_ body: (PostgresTx) async throws -> T) async throws -> T {
        try await client.withConnection { connection in try await body(PostgresTx(connection: connection, logger: logger)) }
    }

    /// One transaction (`READ COMMITTED`; the operations lock the rows they change). A
    /// transaction the server aborted as a deadlock or serialization failure (two coordinators
    /// locking the same jobs in different orders) is run again, up to 5 times.
    ///
    /// - Parameter durable: false commits without waiting for the WAL flush
    ///   (`synchronous_commit = off`, for claims and heartbeats, as the SQLite store commits them
    ///   with `synchronous=NORMAL`): atomic and safe from a coordinator crash; a crash of the
    ///   database server may lose the last fraction of a second of them, and then the worker's
    ///   next call is refused, which is safe.
    func transaction<T: Sendable>(durable: Bool = true, _ body: (PostgresTx) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    let tx = PostgresTx(connection: connection, logger: logger)
                    if !durable { try await tx.execute("SET LOCAL synchronous_commit = off") }
                    return try await body(tx)
                }
            } catch let e as PostgresTransactionError {
                // The operation's own error (a stale claim, a missing job) is what the caller needs.
                let error = e.closureError ?? e.commitError ?? e.beginError ?? e
                if attempt < 5, let p = error as? PSQLError, let state = p.serverInfo?[.sqlState], ["40001", "40P01"].contains(state) {
                    continue
                }
                throw error
            }
        }
    }
}

/// Every part of the store interface: the coordinator's HTTP layer can serve from PostgreSQL.
extension PostgresJobStore: JobQueueStore {}
