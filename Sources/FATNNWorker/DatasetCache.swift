import FATNNEngine

/// Datasets loaded once per worker process and shared by every job that needs them.
actor DatasetCache {
    private var loaded: [String: Dataset] = [:]
    private let dataDirectory: String?

    /// A cache reading from `dataDirectory` (or each dataset's default directory).
    ///
    /// Dataset NAME is read from `dataDirectory/NAME`, or from `dataDirectory` itself when that
    /// folder is named NAME; never from a folder named for another dataset.
    init(dataDirectory: String?) { self.dataDirectory = dataDirectory }

    func dataset(_ name: String) throws -> Dataset {
        if let d = loaded[name] { return d }
        guard let which = DatasetName(rawValue: name) else {
            throw DataError.unknownDataset(name, known: DatasetName.allCases.map(\.rawValue))
        }
        var dir: String?
        if let root = dataDirectory {
            var isDir: ObjCBool = false
            let sub = (root as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: sub, isDirectory: &isDir), isDir.boolValue {
                dir = sub
            } else if (root as NSString).standardizingPath.hasSuffix("/" + name) {
                dir = root
            } else {
                throw DataError.cannotOpen(path: sub, reason: "--data-dir \(root) has no \(name)/ directory (nor is it named \(name))")
            }
        }
        let d = try Dataset.load(which, directory: dir)
        loaded[name] = d
        return d
    }
}

import Foundation
