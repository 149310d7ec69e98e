import FATNNEngine

/// Datasets loaded once per worker process and shared by every job that needs them.
actor DatasetCache {
    private var loaded: [String: Dataset] = [:]
    private let dataDirectory: String?

    /// A cache reading from `dataDirectory` (or each dataset's default directory).
    ///
    /// If `dataDirectory/NAME` exists it holds dataset NAME; otherwise `dataDirectory` itself does.
    init(dataDirectory: String?) { self.dataDirectory = dataDirectory }

    func dataset(_ name: String) throws -> Dataset {
        if let d = loaded[name] { return d }
        guard let which = DatasetName(rawValue: name) else {
            throw DataError.unknownDataset(name, known: DatasetName.allCases.map(\.rawValue))
        }
        var dir = dataDirectory
        if let root = dataDirectory {
            var isDir: ObjCBool = false
            let sub = root + "/" + name
            if FileManager.default.fileExists(atPath: sub, isDirectory: &isDir), isDir.boolValue { dir = sub }
        }
        let d = try Dataset.load(which, directory: dir)
        loaded[name] = d
        return d
    }
}

import Foundation
