import ArgumentParser
import FATNNCoordinator
import Foundation
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the coordinator: the job database and its HTTP API.",
        discussion: """
            Opens (or creates) the SQLite database in WAL mode and serves the API until SIGINT or \
            SIGTERM. Binds to 127.0.0.1 unless --host says otherwise; every API call needs the \
            bearer token from --token-file, which is created with a random token if missing.
            """)

    @Option(help: ArgumentHelp("SQLite database file (created if missing).", valueName: "path"))
    var db: String

    @Option(help: "Address to bind. Use 0.0.0.0 to accept workers from other hosts.")
    var host: String = "127.0.0.1"

    @Option(help: "TCP port; 0 picks a free one (see --port-file).")
    var port: Int = CoordinatorServer.defaultPort

    @Option(help: ArgumentHelp("Token file (default: DB.token).", valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("Write the bound port to this file once listening.", valueName: "file"))
    var portFile: String?

    @Option(help: "Seconds a claim lasts without a heartbeat before the job is handed out again.")
    var leaseSeconds: Double = 120

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard leaseSeconds >= 2 else { throw ValidationError("--lease-seconds must be at least 2") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "fatnn-coord")
        let tokenPath = tokenFile ?? db + ".token"
        let token = try CoordinatorServer.loadOrCreateToken(at: tokenPath)
        let store = try JobStore(path: db, leaseSeconds: leaseSeconds)
        if !["127.0.0.1", "localhost", "::1"].contains(host) {
            logger.warning("binding to \(host): the API is reachable from other hosts (token required)")
        }
        let db = self.db, host = self.host, portFile = self.portFile
        let app = CoordinatorServer.application(store: store, token: token, host: host, port: port, logger: logger) { bound in
            if let portFile { try? "\(bound)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
            logger.info("fatnn-coord listening on http://\(host):\(bound) (db: \(db), journal: \((try? store.journalMode()) ?? "?"), token file: \(tokenPath))")
        }
        try await app.runService()
    }
}
