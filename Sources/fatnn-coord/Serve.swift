import ArgumentParser
import FATNNCoordinator
import FATNNJobs
import FATNNPostgresStore
import Foundation
import Logging
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the coordinator: the job database and its HTTP API.",
        discussion: """
            Opens (or creates) the job store and serves the API until SIGINT or SIGTERM. Binds to \
            127.0.0.1 unless --host says otherwise. The store is a SQLite file (--db PATH, or \
            --store sqlite:PATH; WAL mode, this process the only writer) or a PostgreSQL database \
            (--store postgresql://USER@HOST/DB, or postgresql://USER@/DB?host=SOCKET_DIR; also \
            FATNN_STORE), which several coordinators can serve at once: give them the same token \
            files.

            Two bearer tokens, each created with a random value if its file is missing: the admin \
            token (--token-file, default DB.token) allows everything; the worker token \
            (--worker-token-file, default DB.worker-token) allows claiming and reporting jobs and \
            reading status, but not submitting, cancelling, retrying or pausing.

            Lifecycle: a claim lasts --lease-seconds unless a heartbeat extends it. An expired \
            lease or a reported error re-queues the job after a backoff (--backoff-seconds, doubled \
            per retry) until the sweep's retry budget is spent; then the job ends dead (lost \
            workers) or failed (errors). On start, running jobs get --grace-seconds of lease so \
            their workers can re-attach after a coordinator restart.

            Datasets: workers on hosts without a dataset fetch its files from the coordinator \
            (GET /api/datasets/NAME), checked by SHA-256, into a cache shared by the host's \
            workers. The coordinator serves them from --data-dir, or from each dataset's system \
            directory.
            """)

    @Option(help: ArgumentHelp("SQLite database file (created if missing); the same as --store sqlite:PATH.", valueName: "path"))
    var db: String?

    @Option(help: ArgumentHelp("The job store: sqlite:PATH, or postgresql://USER[:PASSWORD]@HOST[:PORT]/DB (postgresql://USER@/DB?host=SOCKET_DIR for a Unix socket). Default: $FATNN_STORE.", valueName: "url"))
    var store: String?

    @Option(help: "Address to bind. Use 0.0.0.0 to accept workers from other hosts.")
    var host: String = "127.0.0.1"

    @Option(help: "TCP port; 0 picks a free one (see --port-file).")
    var port: Int = CoordinatorServer.defaultPort

    @Option(help: ArgumentHelp("Token file (default: DB.token; required with a PostgreSQL store).", valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("Write the bound port to this file once listening.", valueName: "file"))
    var portFile: String?

    @Option(help: ArgumentHelp("Worker token file (default: DB.worker-token; required with a PostgreSQL store).", valueName: "file"))
    var workerTokenFile: String?

    @Option(help: "Seconds a claim lasts without a heartbeat before the job is handed out again.")
    var leaseSeconds: Double = 120

    @Option(help: "Seconds before the first re-run of a failed or lost attempt; doubled per retry.")
    var backoffSeconds: Double = 5

    @Option(help: "Seconds of lease every running job gets at start-up, for its worker to re-attach (default: the lease).")
    var graceSeconds: Double?

    @Option(help: ArgumentHelp("Datasets served to workers that lack them: DIR/NAME for each dataset (default: each dataset's system directory, e.g. /usr/share/datasets/fashion-mnist).", valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("Serve https with this PEM certificate chain (leaf first; 'fatnn-coord tls init' writes server.pem).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert (server-key.pem).", valueName: "file"))
    var tlsKey: String?

    @Flag(help: "Serve plain http on an address other workers can reach (tokens then travel in clear text). Without it, a non-loopback --host needs --tls-cert.")
    var insecureHTTP = false

    @Option(help: "Close a connection that sends nothing for this many seconds (a stalled request head or body included).")
    var idleTimeout: Double = CoordinatorLimits().idleTimeoutSeconds

    @Option(help: "Close a connection whose next request head (request line and headers) has not fully arrived this many seconds after it opened or after the previous response, however slowly it trickles in.")
    var requestHeadTimeout: Double = CoordinatorLimits().requestHeadTimeoutSeconds

    @Option(help: "Connections open at once; more wait in the listen backlog until one closes.")
    var maxConnections: Int = CoordinatorLimits().maxConnections

    @Option(help: "Model uploads received at once; more are answered 503 with Retry-After (workers retry).")
    var maxUploads: Int = CoordinatorLimits().concurrentUploads

    @Option(help: ArgumentHelp("Largest model file accepted from a worker, in MiB.", valueName: "MiB"))
    var maxArtifactMib: Int = API.maxArtifactBytes >> 20

    @Option(help: .hidden) var faultDelayedResultAcks: Int = 0
    @Option(help: .hidden) var faultResultAckDelay: Double = 0

    func validate() throws {
        let location = try storeLocation()
        if case .postgresql = location, tokenFile == nil || workerTokenFile == nil {
            throw ValidationError("a PostgreSQL store needs --token-file and --worker-token-file (every coordinator of the database uses the same two files)")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard leaseSeconds >= 1 && leaseSeconds <= 86_400 else { throw ValidationError("--lease-seconds must be in 1...86400") }
        guard backoffSeconds >= 0 && backoffSeconds <= 3600 else { throw ValidationError("--backoff-seconds must be in 0...3600") }
        if let d = dataDir {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--data-dir \(d): no such directory")
            }
        }
        if let g = graceSeconds, !(0...86_400).contains(g) { throw ValidationError("--grace-seconds must be in 0...86400") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsCert == nil && !insecureHTTP && !Self.isLoopback(host) {
            throw ValidationError("--host \(host) is reachable from other hosts: serve TLS (--tls-cert F --tls-key F; 'fatnn-coord tls init DIR HOST…' makes them) or accept clear text with --insecure-http")
        }
        guard idleTimeout >= 1 && idleTimeout <= 3600 else { throw ValidationError("--idle-timeout must be in 1...3600 seconds, got \(idleTimeout)") }
        guard requestHeadTimeout >= 1 && requestHeadTimeout <= 3600 else { throw ValidationError("--request-head-timeout must be in 1...3600 seconds, got \(requestHeadTimeout)") }
        guard (1...100_000).contains(maxConnections) else { throw ValidationError("--max-connections must be in 1...100000, got \(maxConnections)") }
        guard (1...64).contains(maxUploads) else { throw ValidationError("--max-uploads must be in 1...64, got \(maxUploads)") }
        guard (1...(API.maxArtifactBytes >> 20)).contains(maxArtifactMib) else {
            throw ValidationError("--max-artifact-mib must be in 1...\(API.maxArtifactBytes >> 20) (what workers download), got \(maxArtifactMib)")
        }
    }

    /// `localhost`, `::1`, or an IPv4 address in 127.0.0.0/8 (parsed, so a name that merely starts
    /// with "127." is not loopback).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        var a = in_addr()
        return inet_pton(AF_INET, host, &a) == 1 && UInt32(bigEndian: a.s_addr) >> 24 == 127
    }

    /// Where the jobs are kept: --db, --store or $FATNN_STORE, exactly one.
    func storeLocation() throws -> StoreLocation {
        if db != nil && store != nil { throw ValidationError("give --db PATH or --store URL, not both") }
        if let db { return .sqlite(db) }
        guard let text = store ?? ProcessInfo.processInfo.environment["FATNN_STORE"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("no job store: give --db PATH (SQLite), --store URL (sqlite:PATH or postgresql://…), or set FATNN_STORE")
        }
        return try StoreLocation(text)
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "fatnn-coord")
        let location = try storeLocation()
        let tokenPath = tokenFile ?? location.path + ".token"
        let token = try CoordinatorServer.loadOrCreateToken(at: tokenPath)
        let workerTokenPath = workerTokenFile ?? location.path + ".worker-token"
        let workerToken = try CoordinatorServer.loadOrCreateToken(at: workerTokenPath)
        guard workerToken != token else {
            throw TokenFileError(path: workerTokenPath, reason: "the worker token must differ from the admin token in \(tokenPath)")
        }
        let tokens = CoordinatorTokens(admin: token, worker: workerToken), grace = graceSeconds ?? leaseSeconds
        let files = "admin token: \(tokenPath), worker token: \(workerTokenPath)"
        switch location {
        case .sqlite(let path):
            let store = try JobStore(path: path, leaseSeconds: leaseSeconds, backoffSeconds: backoffSeconds)
            let extended = try store.extendLeases(grace: grace)
            if extended > 0 { logger.info("\(extended) running job(s) get \(grace) s for their workers to re-attach") }
            try await serve(store.queue, tokens: tokens, logger: logger,
                            describe: "db: \(path), journal: \((try? store.journalMode()) ?? "?"), \(files)")
        case .postgresql(let url):
            let store = try PostgresJobStore(url: url, leaseSeconds: leaseSeconds, backoffSeconds: backoffSeconds, logger: logger)
            do {
                try await store.withRunning {
                    let extended = try await store.extendLeases(grace: grace)
                    if extended > 0 { logger.info("\(extended) running job(s) get \(grace) s for their workers to re-attach") }
                    try await serve(store, tokens: tokens, logger: logger, describe: "store: \(PostgresURL.redacted(url)), \(files)")
                }
            } catch let e as PostgresStoreError {
                throw StoreStartError(message: "--store \(PostgresURL.redacted(url)): \(e)")
            }
        }
    }

    /// Serves `store` with the lease reaper beside it until SIGTERM or SIGINT (the server
    /// finishes its open requests first).
    func serve(_ store: any JobQueueStore, tokens: CoordinatorTokens, logger: Logger, describe: String) async throws {
        let tls = try tlsCert.map { try CoordinatorTLS.load(certificateChain: $0, privateKey: tlsKey ?? "") }
        if !Self.isLoopback(host) {
            logger.warning("binding to \(host): the API is reachable from other hosts (token required\(tls == nil ? "; plain http: tokens travel in clear text" : ", TLS"))")
        }
        let scheme = tls == nil ? "http" : "https"
        let host = self.host, portFile = self.portFile
        let faults = CoordinatorFaults(delayedResultAcks: faultDelayedResultAcks, resultAckDelay: faultResultAckDelay)
        let app = try CoordinatorServer.application(store: store, tokens: tokens, host: host,
                                                port: port, logger: logger, faults: faults,
                                                datasets: DatasetLibrary(dataDirectory: dataDir),
                                                limits: CoordinatorLimits(idleTimeoutSeconds: idleTimeout, requestHeadTimeoutSeconds: requestHeadTimeout,
                                                                          maxConnections: maxConnections,
                                                                          concurrentUploads: maxUploads, maxArtifactBytes: maxArtifactMib << 20),
                                                tls: tls) { bound in
            if let portFile {
                do { try "\(bound)\n".write(toFile: portFile, atomically: true, encoding: .utf8) } catch {
                    logger.error("\(portFile): cannot write the port file: \(error)")
                }
            }
            logger.info("fatnn-coord listening on \(scheme)://\(host):\(bound) (\(describe))")
        }
        let services = ServiceGroup(configuration: .init(
            services: [app, LeaseReaper(store: store, leaseSeconds: leaseSeconds, logger: logger)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await services.run()
    }
}

/// The store named on the command line could not be opened.
struct StoreStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A job store named on the command line.
enum StoreLocation {
    case sqlite(String)
    case postgresql(String)

    /// `sqlite:PATH` or a `postgresql://` URL (checked here, so that a typo fails before anything starts).
    init(_ text: String) throws {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw ValidationError("--store sqlite:PATH: the path is empty") }
            self = .sqlite(path)
        } else if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") {
            do { _ = try PostgresURL.configuration(text) } catch { throw ValidationError("--store: \(error)") }
            self = .postgresql(text)
        } else {
            throw ValidationError("--store '\(PostgresURL.redacted(text))': expected sqlite:PATH or postgresql://USER@HOST/DB")
        }
    }

    /// The SQLite path (token files default beside it); empty for PostgreSQL, whose token files are given.
    var path: String { if case .sqlite(let p) = self { p } else { "" } }
}
