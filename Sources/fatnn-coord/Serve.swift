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
        guard leaseSeconds >= 2 && leaseSeconds <= 86_400 else { throw ValidationError("--lease-seconds must be in 2...86400") }
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
            if let portFile {
                do { try "\(bound)\n".write(toFile: portFile, atomically: true, encoding: .utf8) } catch {
                    logger.error("\(portFile): cannot write the port file: \(error)")
                }
            }
            logger.info("fatnn-coord listening on http://\(host):\(bound) (db: \(db), journal: \((try? store.journalMode()) ?? "?"), token file: \(tokenPath))")
        }
        let reapEvery = max(1, leaseSeconds / 4)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            // Jobs of workers that stopped sending heartbeats go back to the queue even while no
            // worker is claiming, so that status and results show them as queued.
            group.addTask {
                while true {
                    try await Task.sleep(nanoseconds: UInt64(reapEvery * 1e9))
                    do {
                        let n = try store.reapExpiredLeases()
                        if n > 0 { logger.warning("re-queued \(n) job(s) whose lease expired") }
                    } catch {
                        logger.error("lease reaper: \(error)")
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
