import FATNNJobs
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import ServiceLifecycle

/// A running coordinator: the HTTP API over a job store.
public enum CoordinatorServer {
    /// Default TCP port.
    public static let defaultPort = 8470

    /// The HTTP application serving `store` on `host:port` (port 0 picks a free port).
    ///
    /// - Parameter onRunning: called with the bound port once the server listens.
    public static func application(
        store: any JobQueueStore, tokens: CoordinatorTokens, host: String = "127.0.0.1", port: Int = defaultPort,
        logger: Logger = Logger(label: "fatnn-coord"), faults: CoordinatorFaults = CoordinatorFaults(),
        datasets: DatasetLibrary = DatasetLibrary(), limits: CoordinatorLimits = CoordinatorLimits(),
        tls: CoordinatorTLS? = nil, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let headTimeout = TimeAmount.milliseconds(Int64(limits.requestHeadTimeoutSeconds * 1000))
        let http1 = HTTPServerBuilder.http1(configuration: .init(
            additionalChannelHandlers: [RequestHeadTimeoutHandler(timeout: headTimeout)],
            idleTimeout: .milliseconds(Int64(limits.idleTimeoutSeconds * 1000))))
        return Application(
            router: CoordinatorRoutes.router(store: store, tokens: tokens, logger: logger, faults: faults, datasets: datasets,
                                             uploads: ArtifactUploads(limit: limits.concurrentUploads, maxBytes: limits.maxArtifactBytes),
                                             secureCookies: tls != nil),
            server: try tls.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: $0.configuration) } ?? http1,
            configuration: .init(address: .hostname(host, port: port), serverName: "fatnn-coord",
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// The application over a SQLite ``JobStore`` (its group-committing ``JobStore/queue``).
    public static func application(
        store: JobStore, tokens: CoordinatorTokens, host: String = "127.0.0.1", port: Int = defaultPort,
        logger: Logger = Logger(label: "fatnn-coord"), faults: CoordinatorFaults = CoordinatorFaults(),
        datasets: DatasetLibrary = DatasetLibrary(), limits: CoordinatorLimits = CoordinatorLimits(),
        tls: CoordinatorTLS? = nil, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        try application(store: store.queue as any JobQueueStore, tokens: tokens, host: host, port: port, logger: logger,
                        faults: faults, datasets: datasets, limits: limits, tls: tls, onRunning: onRunning)
    }

    /// The application with one (admin) token.
    public static func application(
        store: JobStore, token: String, host: String = "127.0.0.1", port: Int = defaultPort,
        logger: Logger = Logger(label: "fatnn-coord"), onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        try application(store: store.queue as any JobQueueStore, tokens: CoordinatorTokens(admin: token), host: host, port: port,
                        logger: logger, onRunning: onRunning)
    }

    /// Runs `app` until `work` returns, then shuts it down gracefully (open connections are
    /// closed by the server, no errors logged for them) and returns `work`'s value. For a
    /// coordinator that serves in-process clients for a while (`fatnn-coord bench`).
    public static func serve<T: Sendable>(_ app: some ApplicationProtocol, logger: Logger,
                                          while work: @escaping @Sendable () async throws -> T) async throws -> T {
        var config = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger)
        config.maximumGracefulShutdownDuration = .seconds(10)
        let services = ServiceGroup(configuration: config)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await services.run()
                return nil
            }
            group.addTask {
                do {
                    let value = try await work()
                    await services.triggerGracefulShutdown()
                    return value
                } catch {
                    await services.triggerGracefulShutdown()
                    throw error
                }
            }
            // The first to finish: `work` (then the server is shutting down), or the server, which
            // ends `work` too (a server that stopped cannot serve it).
            var value = try await group.next() ?? nil
            if value == nil { group.cancelAll() }
            while let next = try await group.next() { if let next { value = next } }
            guard let value else { throw CancellationError() }
            return value
        }
    }

    /// Reads the token from `path`, or creates the file with a new random token (mode 0600).
    ///
    /// - Throws: when the file exists but is empty, or cannot be written.
    public static func loadOrCreateToken(at path: String) throws -> String {
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TokenFileError(path: path, reason: "exists but cannot be read")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 16 else {
                throw TokenFileError(path: path, reason: "token must be at least 16 characters; delete the file to generate one")
            }
            return token
        }
        let token = JobStore.newToken()
        // Created with mode 0600 from the start, and never over an existing file.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw TokenFileError(path: path, reason: "cannot create: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = Array((token + "\n").utf8)
        guard write(fd, line, line.count) == line.count else {
            throw TokenFileError(path: path, reason: "cannot write: \(String(cString: strerror(errno)))")
        }
        return token
    }
}

/// What the coordinator lets clients use at once, so that no client can exhaust it.
public struct CoordinatorLimits: Sendable {
    /// A connection that sends nothing (not even the rest of a request head or body) for this
    /// long is closed.
    public var idleTimeoutSeconds: Double
    /// A request head (request line and headers) must have fully arrived this long after the
    /// connection opened or the previous response ended, however slowly it trickles in.
    public var requestHeadTimeoutSeconds: Double
    /// Connections open at once; further ones wait in the listen backlog.
    public var maxConnections: Int
    /// Model uploads received at once (more get 503 with `Retry-After`).
    public var concurrentUploads: Int
    /// Largest model file accepted, in bytes.
    public var maxArtifactBytes: Int

    public init(idleTimeoutSeconds: Double = 60, requestHeadTimeoutSeconds: Double = 30, maxConnections: Int = 512,
                concurrentUploads: Int = 4, maxArtifactBytes: Int = API.maxArtifactBytes) {
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.requestHeadTimeoutSeconds = requestHeadTimeoutSeconds
        self.maxConnections = maxConnections
        self.concurrentUploads = concurrentUploads
        self.maxArtifactBytes = maxArtifactBytes
    }
}

/// A token file that cannot be used.
public struct TokenFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}
