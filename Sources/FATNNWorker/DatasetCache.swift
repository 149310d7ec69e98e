import FATNNClient
import FATNNEngine
import FATNNJobs
import FATNNVocabulary
import Foundation
import Logging

/// Where a worker reads datasets from.
public enum DatasetSource: String, CaseIterable, Sendable {
    /// `--data-dir`, or the dataset's system directory if it has the files, else the coordinator.
    case auto
    /// Only `--data-dir` or the system directory.
    case local
    /// Always the coordinator's copy, through the host's cache.
    case coordinator
}

/// Datasets loaded once per worker process and shared by every job that needs them. Files
/// fetched from the coordinator go through a ``HostDatasetCache`` that every worker process on
/// the host shares.
actor DatasetCache {
    private var loaded: [String: Task<Dataset, any Error>] = [:]
    private let dataDirectory: String?
    private let source: DatasetSource
    private let host: HostDatasetCache
    private let client: CoordinatorClient
    private let logger: Logger
    private let retry: RetryPolicy

    /// A cache reading from `dataDirectory` (or each dataset's default directory), or from the
    /// coordinator as `source` says.
    ///
    /// Dataset NAME is read from `dataDirectory/NAME`, or from `dataDirectory` itself when that
    /// folder is named NAME; never from a folder named for another dataset.
    init(dataDirectory: String?, source: DatasetSource = .auto, cacheDirectory: String? = nil,
         client: CoordinatorClient, logger: Logger, retry: RetryPolicy = RetryPolicy()) {
        self.dataDirectory = dataDirectory
        self.source = source
        self.host = HostDatasetCache(root: cacheDirectory ?? HostDatasetCache.defaultRoot())
        self.client = client
        self.logger = logger
        self.retry = retry
    }

    func dataset(_ which: DatasetName) async throws -> Dataset {
        let name = which.rawValue
        if let task = loaded[name] { return try await task.value }
        // Jobs that ask while the first load runs wait for it instead of loading again.
        let task = Task { try await self.load(which) }
        loaded[name] = task
        do { return try await task.value } catch {
            loaded[name] = nil  // a failed load is tried again by the next job
            throw error
        }
    }

    private func load(_ which: DatasetName) async throws -> Dataset {
        let name = which.rawValue
        switch source {
        case .coordinator: return try await fetch(which)
        case .local, .auto:
            if let root = dataDirectory {
                guard let dir = DatasetFolder.resolve(name, under: root) else {
                    throw DataError.cannotOpen(path: (root as NSString).appendingPathComponent(name), reason: DatasetFolder.missing(name, under: root))
                }
                return try Dataset.load(which, directory: dir)
            }
            do { return try Dataset.load(which) } catch DataError.cannotOpen(let path, let reason) where source == .auto {
                logger.info("dataset \(name): \(path): \(reason); fetching it from the coordinator")
                return try await fetch(which)
            }
        }
    }

    /// The coordinator's copy, through the host's cache.
    private func fetch(_ which: DatasetName) async throws -> Dataset {
        let client = self.client, name = which.rawValue
        // Transient failures (coordinator restarting, a dropped connection) are retried with
        // backoff like every other request; only a refusal or bad bytes end the fetch.
        let retry = self.retry, logger = self.logger
        let manifest = try await retry.run("dataset \(name): fetch the manifest", logger: logger) {
            try await client.datasetManifest(name)
        }
        let started = Date()
        let outcome = try await host.directory(for: manifest) { file in
            try await retry.run("dataset \(name): fetch \(file.name)", logger: logger) {
                try await client.downloadDatasetFile(name, file.name)
            }
        }
        if outcome.downloaded > 0 {
            logger.info("dataset \(name): fetched \(outcome.downloaded) file(s), \(outcome.bytes) bytes, from the coordinator into \(outcome.directory) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        } else {
            logger.info("dataset \(name): using this host's cached copy in \(outcome.directory) (checksums match the coordinator's)")
        }
        return try Dataset.load(which, directory: outcome.directory)
    }
}
