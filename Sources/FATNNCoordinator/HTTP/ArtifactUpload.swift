import FATNNEngine
import FATNNJobs
import Foundation
import Hummingbird

/// How model uploads are received: at most ``limit`` at once, each streamed to a temporary file
/// with its SHA-256 computed on the way and cut off past ``maxBytes``, then decoded and checked
/// against the job before anything is stored.
public final class ArtifactUploads: @unchecked Sendable {
    /// Uploads received at once; more get 503 with `Retry-After`.
    public let limit: Int
    /// Largest model file accepted, in bytes.
    public let maxBytes: Int
    /// Where bodies are spooled while they arrive.
    public let directory: String
    private let lock = NSLock()
    private var active = 0

    public init(limit: Int = 4, maxBytes: Int = API.maxArtifactBytes, directory: String = NSTemporaryDirectory()) {
        self.limit = limit
        self.maxBytes = maxBytes
        self.directory = directory
    }

    /// A received body: mapped from its spool file, with its digest.
    struct Received {
        let data: Data
        let sha256: String
    }

    /// Runs `body` holding one of the ``limit`` slots.
    ///
    /// - Throws: 503 when every slot is taken.
    func withSlot<T>(_ body: () async throws -> T) async throws -> T {
        let taken: Bool = lock.withLock {
            guard active < limit else { return false }
            active += 1
            return true
        }
        guard taken else {
            throw APIError(.busy, "\(limit) model uploads are already being received; retry later",
                           headers: [.retryAfter: "5"])
        }
        defer { lock.withLock { active -= 1 } }
        return try await body()
    }

    /// Streams `request`'s body to a temporary file, hashing it, and maps it back.
    ///
    /// - Throws: 413 past ``maxBytes`` (this handler reads no further; the server discards the rest
    ///   of the body before the connection's next request, for at most the request-head timeout),
    ///   or 500 if the spool file cannot be written.
    func receive(_ request: Request) async throws -> Received {
        let path = (directory as NSString).appendingPathComponent("fatnn-upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.internal, "cannot create an upload spool file in \(directory)")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw APIError(.internal, "cannot open the upload spool file \(path)")
        }
        var hasher = SHA256.Hasher()
        var size = 0
        do {
            defer { try? handle.close() }
            for try await buffer in request.body {
                size += buffer.readableBytes
                guard size <= maxBytes else {
                    throw APIError(.tooLarge, "model file exceeds \(maxBytes) bytes")
                }
                buffer.withUnsafeReadableBytes { raw in hasher.update(raw) }
                try handle.write(contentsOf: buffer.readableBytesView)
            }
        }
        // Mapped, not read into a buffer here (SQLite copies it when it stores it). The mapping
        // outlives the unlinked file.
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        return Received(data: data, sha256: hasher.finalizeHex())
    }

    /// Decodes `data` as a model file and checks it is the trained model `config` describes.
    ///
    /// - Throws: 400 naming the job and what is wrong.
    static func validate(_ data: Data, job id: Int64, config: JobConfig) throws {
        let file: ModelFile
        do { file = try ModelFile.decode(data, name: "model of job \(id)") } catch {
            throw APIError(.invalidModel, "\(error)")
        }
        func refuse(_ why: String) -> APIError { APIError(.invalidModel, "model of job \(id): \(why)") }
        guard file.training == nil else { throw refuse("is a training checkpoint, not a trained model") }
        guard file.architecture == config.model else {
            throw refuse("architecture is \(file.architecture.rawValue); the job trains \(config.model)")
        }
        guard file.dataset == config.dataset.name else {
            throw refuse("dataset is \(file.dataset.rawValue); the job trains on \(config.dataset.name)")
        }
        guard file.quantizer.kind == config.quantizer.kind else {
            throw refuse("quantizer is \(file.quantizer.kind.rawValue); the job uses \(config.quantizer.kind)")
        }
    }
}
