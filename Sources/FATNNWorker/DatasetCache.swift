import FATNNClient
import FATNNEngine
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
    private var loaded: [String: Dataset] = [:]
    private var loading: [String: Task<Dataset, any Error>] = [:]
    private let dataDirectory: String?
    private let source: DatasetSource
    private let host: HostDatasetCache
    private let client: CoordinatorClient
    private let logger: Logger

    /// A cache reading from `dataDirectory` (or each dataset's default directory), or from the
    /// coordinator as `source` says.
    ///
    /// Dataset NAME is read from `dataDirectory/NAME`, or from `dataDirectory` itself when that
    /// folder is named NAME; never from a folder named for another dataset.
    init(dataDirectory: String?, source: DatasetSource = .auto, cacheDirectory: String? = nil,
         client: CoordinatorClient, logger: Logger) {
        self.dataDirectory = dataDirectory
        self.source = source
        self.host = HostDatasetCache(root: cacheDirectory ?? HostDatasetCache.defaultRoot())
        self.client = client
        self.logger = logger
    }

    func dataset(_ name: String) async throws -> Dataset {
        if let d = loaded[name] { return d }
        if let pending = loading[name] { return try await pending.value }
        guard let which = DatasetName(rawValue: name) else {
            throw DataError.unknownDataset(name, known: DatasetName.allCases.map(\.rawValue))
        }
        let task = Task { try await self.load(which) }
        loading[name] = task
        defer { loading[name] = nil }
        let d = try await task.value
        loaded[name] = d
        return d
    }

    private func load(_ which: DatasetName) async throws -> Dataset {
        let local = try Dataset.directory(for: which, root: dataDirectory)
        let fetch: Bool
        switch source {
        case .local: fetch = false
        case .coordinator: fetch = true
        case .auto: fetch = dataDirectory == nil && (try? Dataset.sourceFiles(which)) == nil
        }
        guard fetch else { return try Dataset.load(which, directory: local) }
        let client = self.client, name = which.rawValue
        let manifest = try await client.datasetManifest(name)
        let started = Date()
        let outcome = try await host.directory(for: manifest) { file in
            try await client.downloadDatasetFile(name, file)
        }
        if outcome.downloaded > 0 {
            logger.info("dataset \(name): fetched \(outcome.downloaded) file(s), \(outcome.bytes) bytes, from the coordinator into \(outcome.directory) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        } else {
            logger.info("dataset \(name): using this host's cached copy in \(outcome.directory) (checksums match the coordinator's)")
        }
        return try Dataset.load(which, directory: outcome.directory)
    }
}
