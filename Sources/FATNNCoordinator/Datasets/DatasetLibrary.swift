import Dispatch
import FATNNJobs
import FATNNVocabulary
import Foundation

/// The dataset files a coordinator serves to workers on hosts that lack them.
///
/// Dataset NAME is the regular files of `dataDirectory/NAME` (or of `dataDirectory` when it is
/// named NAME; default ``DatasetName/defaultDirectory``, `/usr/share/datasets/NAME`) and of its subfolders one level down (CIFAR-10
/// unpacks into `cifar-10-batches-bin/`), served flat under their own names. The coordinator
/// does not parse them: the worker's engine does. Each file's SHA-256 is computed on first
/// request, off the server's threads, and kept until its size or modification time changes.
public actor DatasetLibrary {
    /// Why a dataset or file cannot be served.
    public enum Failure: Error, CustomStringConvertible {
        /// Not a dataset the engine knows.
        case unknownDataset(String)
        /// The coordinator does not have the dataset's files.
        case unavailable(String)
        /// Not one of the dataset's files.
        case unknownFile(dataset: String, file: String)

        public var description: String {
            switch self {
            case let .unknownDataset(name):
                return "unknown dataset '\(name)'; known: \(DatasetName.names)"
            case let .unavailable(reason): return "this coordinator cannot serve it: \(reason)"
            case let .unknownFile(dataset, file): return "'\(file)' is not a file of dataset \(dataset)"
            }
        }
    }

    private struct Digest { var size: Int64; var modified: Date; var sha256: String }

    /// Root folder of the served datasets (nil: each dataset's default directory).
    public let dataDirectory: String?
    private var digests: [String: Digest] = [:]

    public init(dataDirectory: String? = nil) { self.dataDirectory = dataDirectory }

    /// Most files one dataset may have.
    public static let maxFiles = 64

    /// The files of dataset `name`, with their sizes and checksums, and where each is on disk.
    public func manifest(_ name: String) async throws -> (manifest: API.DatasetManifest, paths: [String: String]) {
        guard let dataset = DatasetName(rawValue: name) else { throw Failure.unknownDataset(name) }
        let dir = try folder(dataset)
        var files: [API.DatasetFile] = [], byName: [String: String] = [:]
        for path in try Self.regularFiles(dir) {
            let base = (path as NSString).lastPathComponent
            guard byName[base] == nil else { throw Failure.unavailable("\(dir) holds two files named \(base)") }
            let digest = try await self.digest(path)
            files.append(API.DatasetFile(name: base, size: digest.size, sha256: digest.sha256))
            byName[base] = path
        }
        guard !files.isEmpty else { throw Failure.unavailable("\(dir) holds no files") }
        return (API.DatasetManifest(name: name, files: files), byName)
    }

    private func folder(_ dataset: DatasetName) throws -> String {
        let name = dataset.rawValue
        guard let root = dataDirectory else {
            var isDir: ObjCBool = false
            let dir = dataset.defaultDirectory
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw Failure.unavailable("\(dir): no such directory")
            }
            return dir
        }
        guard let dir = DatasetFolder.resolve(name, under: root) else { throw Failure.unavailable(DatasetFolder.missing(name, under: root)) }
        return dir
    }

    /// The regular files of `dir` and of its subfolders (one level), sorted, with valid names.
    static func regularFiles(_ dir: String) throws -> [String] {
        let fm = FileManager.default
        func list(_ d: String) -> [(path: String, isDir: Bool)] {
            ((try? fm.contentsOfDirectory(atPath: d)) ?? []).sorted().compactMap { entry in
                guard API.DatasetFile.isValidName(entry) else { return nil }
                let path = (d as NSString).appendingPathComponent(entry)
                guard let type = (try? fm.attributesOfItem(atPath: path))?[.type] as? FileAttributeType else { return nil }
                if type == .typeDirectory { return (path, true) }
                return type == .typeRegular ? (path, false) : nil
            }
        }
        var files: [String] = []
        for entry in list(dir) {
            if entry.isDir { files += list(entry.path).filter { !$0.isDir }.map(\.path) } else { files.append(entry.path) }
            guard files.count <= maxFiles else { throw Failure.unavailable("\(dir) holds over \(maxFiles) files") }
        }
        return files
    }

    /// The path and checksum of one file of dataset `name`.
    public func file(_ name: String, _ file: String) async throws -> (path: String, entry: API.DatasetFile) {
        let (manifest, paths) = try await manifest(name)
        guard let entry = manifest.files.first(where: { $0.name == file }), let path = paths[file] else {
            throw Failure.unknownFile(dataset: name, file: file)
        }
        return (path, entry)
    }

    private func digest(_ path: String) async throws -> Digest {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw Failure.unavailable("\(path): \(error.localizedDescription)")
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = attributes[.modificationDate] as? Date ?? .distantPast
        if let d = digests[path], d.size == size, d.modified == modified { return d }
        let sha = try await Self.hashFile(path)
        let d = Digest(size: size, modified: modified, sha256: sha)
        digests[path] = d
        return d
    }

    /// The bytes of one file of dataset `name`, read off the server's threads, with its entry.
    public func contents(_ name: String, _ file: String) async throws -> (data: Data, entry: API.DatasetFile) {
        let (path, entry) = try await self.file(name, file)
        return (try await Self.read(path), entry)
    }

    /// SHA-256 of a file.
    static func hashFile(_ path: String) async throws -> String { SHA256.hex([UInt8](try await read(path))) }

    /// A whole file, read on a dispatch queue (not on the server's event loops).
    static func read(_ path: String) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                guard let data = FileManager.default.contents(atPath: path) else {
                    continuation.resume(throwing: Failure.unavailable("\(path): cannot be read"))
                    return
                }
                continuation.resume(returning: data)
            }
        }
    }
}
