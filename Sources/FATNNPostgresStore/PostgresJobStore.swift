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
    /// The pool of durable operations (results, job errors, submissions, admin changes): a
    /// commit returns once the WAL is flushed.
    let client: PostgresClient
    /// The pool of claims and heartbeats: its connections start with `synchronous_commit = off`
    /// (see ``transaction(durable:_:)``), so that a claim is one statement, with no transaction
    /// block around it to set that in.
    let fastClient: PostgresClient
    /// Lease and backoff timing.
    public let timing: LifecycleTiming
    let now: @Sendable () -> Double
    let logger: Logger
    /// The PostgreSQL schema (namespace) holding the tables; nil: the database's default.
    public let schema: String?
    /// When a claim last reaped overdue leases (claims reap at most once a second, as on SQLite).
    let claimReaps = ClaimReapThrottle()
    /// Group writes of heartbeats (fast pool), of results (durable pool) and of claims (fast pool).
    let heartbeatBatches = GroupWriter<BatchedEvent, Transition>(key: { $0.job })
    let resultBatches = GroupWriter<BatchedEvent, Transition>(key: { $0.job })
    let claimBatches = GroupWriter<ClaimRequest, RawClaim>()

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
        var fast = configuration
        fast.options.additionalStartupParameters.append(("synchronous_commit", "off"))
        // Its prepared statements (claims, row locks) take one generic plan: with custom plans
        // PostgreSQL planned the claim again on every call (about 0.4 ms each, pg_stat_statements).
        fast.options.additionalStartupParameters.append(("plan_cache_mode", "force_generic_plan"))
        fastClient = PostgresClient(configuration: fast, backgroundLogger: logger)
        self.timing = LifecycleTiming(leaseSeconds: leaseSeconds, backoffSeconds: backoffSeconds,
                                      maxBackoffSeconds: max(backoffSeconds, min(600, backoffSeconds * 64)))
        self.now = clock
        self.logger = logger
    }

    /// Runs the connection pools until cancelled (or the service group shuts down).
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.runPools() }
    }

    func runPools() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.fastClient.run() }
        }
    }

    /// Runs the connection pool, migrates the schema (``migrate()``) and runs `body`; stops the
    /// pool when `body` returns or throws.
    ///
    /// - Parameter connectSeconds: how long the migration may wait for the database (a wrong
    ///   URL or a server that is down fails here, naming the URL, instead of waiting forever).
    public func withRunning<T: Sendable>(connectSeconds: Double = 30, _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.runPools() }
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
    /// - Parameter durable: false runs on ``fastClient``, whose commits do not wait for the WAL
    ///   flush (`synchronous_commit = off`, for claims and heartbeats, as the SQLite store commits
    ///   them with `synchronous=NORMAL`): atomic and safe from a coordinator crash; a crash of the
    ///   database server may lose the last fraction of a second of them, and then the worker's
    ///   next call is refused, which is safe.
    func transaction<T: Sendable>(durable: Bool = true, _ body: (PostgresTx) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await (durable ? client : fastClient).withTransaction(logger: logger) { connection in
                    try await body(PostgresTx(connection: connection, logger: logger))
                }
            } catch let e as PostgresTransactionError {
                // The operation's own error (a stale claim, a missing job) is what the caller needs.
                let error = e.closureError ?? e.commitError ?? e.beginError ?? e
                if attempt < 5, Self.isRetryable(error) { continue }
                throw error
            }
        }
    }

    /// One statement outside a transaction block (atomic by itself), on the pool `durable`
    /// chooses; retried like ``transaction(durable:_:)``.
    func statement<S: PostgresPreparedStatement>(durable: Bool, _ statement: S) async throws -> [PostgresRandomAccessRow]
    where S.Row == PostgresRandomAccessRow {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await (durable ? client : fastClient).withConnection { connection in
                    try await PostgresTx(connection: connection, logger: logger).rows(statement)
                }
            } catch {
                if attempt < 5, Self.isRetryable(error) { continue }
                throw error
            }
        }
    }

    /// A deadlock or serialization failure (two coordinators locking the same jobs in different
    /// orders): the server aborted the statement, and running it again is safe.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let p = error as? PSQLError, let state = p.serverInfo?[.sqlState] else { return false }
        return ["40001", "40P01"].contains(state)
    }
}

/// Every part of the store interface: the coordinator's HTTP layer can serve from PostgreSQL.
extension PostgresJobStore: JobQueueStore {}
