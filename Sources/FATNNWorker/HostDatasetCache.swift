import FATNNJobs
import FATNNVocabulary
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Dataset files fetched from the coordinator into a folder that every worker process on this
/// host shares: `ROOT/NAME/FILE`, one download per host.
///
/// A lock file (`ROOT/NAME.lock`, `flock`) lets one process fetch while the others wait for it
/// (at most `lockTimeout`); each file is written to a temporary name, checked against the
/// manifest's SHA-256 and renamed into place, so a killed download never leaves a partial file
/// where a reader would take it. A cached file whose checksum no longer matches the
/// coordinator's is fetched again; files the manifest no longer lists are removed.
struct HostDatasetCache: Sendable {
    /// What one ``directory(for:manifest:download:)`` call did.
    struct Outcome: Equatable, Sendable {
        var directory: String
        var downloaded: Int
        var bytes: Int64
    }

    enum Failure: Error, CustomStringConvertible {
        case cannotWrite(String, String)
        case lockTimeout(String, Double)
        case badFile(String, String)
        var description: String {
            switch self {
            case let .cannotWrite(path, reason): return "\(path): cannot write to the dataset cache: \(reason)"
            case let .lockTimeout(path, s): return "\(path): another process held the dataset cache lock for over \(Int(s)) s"
            case let .badFile(name, reason): return "dataset file \(name): \(reason)"
            }
        }
    }

    let root: String
    var lockTimeout: Double = 900

    /// The folder holding dataset `manifest.name`'s files, fetching those that are missing or
    /// stale with `download`.
    func directory(for manifest: API.DatasetManifest,
                   download: @Sendable (API.DatasetFile) async throws -> Data) async throws -> Outcome {
        guard Self.isValidDatasetName(manifest.name), manifest.files.allSatisfy({ API.DatasetFile.isValidName($0.name) }) else {
            throw Failure.badFile(manifest.name, "the coordinator's manifest has an invalid name")
        }
        let dir = (root as NSString).appendingPathComponent(manifest.name)
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw Failure.cannotWrite(dir, error.localizedDescription)
        }
        let lock = try await acquireLock(dir + ".lock")
        defer { flock(lock, LOCK_UN); close(lock) }

        var outcome = Outcome(directory: dir, downloaded: 0, bytes: 0)
        let wanted = Set(manifest.files.map(\.name))
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where !wanted.contains(stale) {
            try? FileManager.default.removeItem(atPath: (dir as NSString).appendingPathComponent(stale))
        }
        for file in manifest.files {
            let path = (dir as NSString).appendingPathComponent(file.name)
            if Self.holds(path, file) { continue }
            let data = try await download(file)
            guard Int64(data.count) == file.size, SHA256.hex([UInt8](data)) == file.sha256 else {
                throw Failure.badFile(file.name, "the downloaded bytes do not match the manifest's size and SHA-256")
            }
            let temporary = path + ".part-\(getpid())"
            do {
                try data.write(to: URL(fileURLWithPath: temporary))
                guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw Failure.cannotWrite(path, error.localizedDescription)
            }
            outcome.downloaded += 1
            outcome.bytes += file.size
        }
        return outcome
    }

    /// Whether `path` holds exactly `file`'s bytes.
    static func holds(_ path: String, _ file: API.DatasetFile) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.size] as? NSNumber)?.int64Value == file.size,
              let data = FileManager.default.contents(atPath: path) else { return false }
        return SHA256.hex([UInt8](data)) == file.sha256
    }

    /// An exclusive `flock` on `path`, polled so that the wait is bounded.
    private func acquireLock(_ path: String) async throws -> Int32 {
        let fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw Failure.cannotWrite(path, String(cString: strerror(errno))) }
        let deadline = Date().addingTimeInterval(lockTimeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard Date() < deadline else {
                close(fd)
                throw Failure.lockTimeout(path, lockTimeout)
            }
            try? await Task.sleep(nanoseconds: 200_000_000)
        }
        return fd
    }

    /// A dataset name as the engine spells them: lowercase letters, digits and `-`.
    static func isValidDatasetName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
    }

    /// The default root: `$XDG_CACHE_HOME/fatnn/datasets`, else `$HOME/.cache/fatnn/datasets`.
    static func defaultRoot() -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"] ?? NSTemporaryDirectory()) as NSString).appendingPathComponent(".cache")
        return ((base as NSString).appendingPathComponent("fatnn") as NSString).appendingPathComponent("datasets")
    }
}

