import ArgumentParser
import FATNNCoordinator
import FATNNPostgresStore
import Foundation
import Logging

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a SQLite store into a new PostgreSQL store (jobs, attempts, results, models, tokens).",
        discussion: """
            Stop the coordinator serving the SQLite file first. The target must be empty: a new \
            database, or a new schema of one (postgresql://…?schema=NAME or &schema=NAME). Job, \
            sweep and attempt ids stay the same, so job numbers in notes and exports still match. \
            Everything is copied in one transaction (a failed copy leaves the target empty); then \
            every table's row count is checked against the source. Serve the copy with \
            'fatnn-coord serve --store URL --token-file DB.token --worker-token-file DB.worker-token' \
            (the SQLite store's token files keep working).
            """)

    @Option(help: ArgumentHelp("The SQLite store: sqlite:PATH or PATH.", valueName: "sqlite:path"))
    var from: String

    @Option(help: ArgumentHelp("The new PostgreSQL store: postgresql://USER@HOST/DB (see serve --help).", valueName: "url"))
    var to: String

    func validate() throws {
        let path = sourcePath
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("--from \(path): no such file") }
        guard to.hasPrefix("postgresql://") || to.hasPrefix("postgres://") else { throw ValidationError("--to takes a postgresql:// URL") }
        do { _ = try PostgresURL.configuration(to) } catch { throw ValidationError("--to: \(error)") }
    }

    var sourcePath: String { from.hasPrefix("sqlite:") ? String(from.dropFirst("sqlite:".count)) : from }

    func run() async throws {
        var logger = Logger(label: "fatnn-coord-migrate")
        logger.logLevel = .error
        let source = try JobStore(path: sourcePath)
        let target = try PostgresJobStore(url: to, logger: logger)
        let start = Date()
        do {
            let copied = try await target.withRunning {
                try await target.copy(from: source) { table, n in
                    if n % 5000 == 0 { FileHandle.standardError.write(Data("migrate: \(table): \(n) rows\n".utf8)) }
                }
            }
            for table in JobStore.copiedTables { print("\(table): \(copied[table] ?? 0) rows copied, count checked") }
            print(String(format: "copied %@ into %@ in %.1f s", sourcePath, PostgresURL.redacted(to), Date().timeIntervalSince(start)))
        } catch let e as PostgresStoreError {
            throw StoreStartError(message: "--to \(PostgresURL.redacted(to)): \(e)")
        }
    }
}
