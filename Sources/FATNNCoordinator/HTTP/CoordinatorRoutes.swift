import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The coordinator's HTTP API: thin handlers that decode, call the store, and encode.
///
/// | method | path | body → reply |
/// |---|---|---|
/// | POST | /api/sweeps | sweep document → `SubmitResponse` |
/// | POST | /api/jobs/claim | `ClaimRequest` → `ClaimResponse` |
/// | POST | /api/jobs/{id}/progress | `ProgressRequest` → `Ack` (409 if the claim is stale) |
/// | POST | /api/jobs/{id}/result | `CompleteRequest` → `Ack` (idempotent) |
/// | POST | /api/jobs/{id}/fail | `FailRequest` → `Ack` |
/// | POST | /api/jobs/{id}/release | `ReleaseRequest` → `Ack` (job back to the queue, unrun) |
/// | PUT | /api/jobs/{id}/artifact | model file bytes, header `X-Claim-Token` → `Ack` |
/// | GET | /api/artifacts/{configHash} | → model file bytes, header `X-Content-SHA256` (404 if none) |
/// | GET | /api/status | → `StatusResponse` |
/// | GET | /api/leaderboard | → `LeaderboardResponse` |
/// | GET | /health | → `Ack` (no token needed) |
public enum CoordinatorRoutes {
    /// Largest request body accepted, in bytes.
    public static let maxBodyBytes = Sweep.maxDocumentBytes
    /// Largest model file accepted as an artifact, in bytes.
    public static let maxArtifactBytes = 256 << 20

    /// A router serving `store`, guarded by `token`.
    public static func router(store: JobStore, token: String, logger: Logger) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/health") { _, _ in try json(API.Ack()) }
        let api = router.group("api").add(middleware: BearerTokenMiddleware(token: token))

        api.post("sweeps") { request, _ in
            let body = try await bytes(request)
            let sweep: Sweep
            do { sweep = try Sweep.parse(body) } catch {
                throw HTTPError(.badRequest, message: "invalid sweep: \(error)")
            }
            let reply = try store.submit(sweep, document: String(decoding: body, as: UTF8.self))
            logger.info("sweep '\(sweep.name)': \(reply.added) jobs added, \(reply.duplicates) already present")
            return try json(reply)
        }
        api.post("jobs/claim") { request, _ in
            let req = try await decode(API.ClaimRequest.self, request)
            guard (1...200).contains(req.worker.count), req.host.count <= 255 else {
                throw HTTPError(.badRequest, message: "worker must be 1-200 characters and host at most 255")
            }
            let job = try store.claim(worker: req.worker, host: req.host)
            if let job { logger.info("job \(job.id) claimed by \(req.worker)") }
            return try json(API.ClaimResponse(job: job))
        }
        api.post("jobs/{id}/progress") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let req = try await decode(API.ProgressRequest.self, request)
            try mapped { try store.heartbeat(job: id, token: req.claimToken, epoch: req.epoch) }
            return try json(API.Ack())
        }
        api.post("jobs/{id}/result") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let req = try await decode(API.CompleteRequest.self, request)
            do { try req.result.validate() } catch { throw HTTPError(.badRequest, message: "\(error)") }
            try mapped { try store.complete(job: id, token: req.claimToken, result: req.result) }
            logger.info("job \(id) succeeded: test accuracy \(String(format: "%.4f", req.result.testAccuracy))")
            return try json(API.Ack())
        }
        api.post("jobs/{id}/fail") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let req = try await decode(API.FailRequest.self, request)
            try mapped { try store.fail(job: id, token: req.claimToken, error: req.error) }
            logger.warning("job \(id) failed: \(req.error)")
            return try json(API.Ack())
        }
        api.post("jobs/{id}/release") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let req = try await decode(API.ReleaseRequest.self, request)
            try mapped { try store.release(job: id, token: req.claimToken) }
            logger.warning("job \(id) released unrun: \(req.reason)")
            return try json(API.Ack())
        }
        api.put("jobs/{id}/artifact") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let claim = request.headers[HTTPField.Name("X-Claim-Token")!] else {
                throw HTTPError(.badRequest, message: "missing X-Claim-Token header")
            }
            let body = try await bytes(request, limit: maxArtifactBytes)
            guard body.count >= 16, Array(body.prefix(8)) == Array("FATNNMD1".utf8) else {
                throw HTTPError(.badRequest, message: "artifact is not a FATNN model file")
            }
            try mapped { try store.storeArtifact(job: id, token: claim, data: body) }
            logger.info("job \(id) stored its model (\(body.count) bytes)")
            return try json(API.Ack())
        }
        api.get("artifacts/{hash}") { _, context in
            let hash = try context.parameters.require("hash")
            guard hash.count == 64, hash.allSatisfy({ "0123456789abcdef".contains($0) }) else {
                throw HTTPError(.badRequest, message: "expected a 64-character hex config hash")
            }
            guard let (data, sha) = try store.artifact(configHash: hash) else {
                throw HTTPError(.notFound, message: "no model is stored for config hash \(hash)")
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", HTTPField.Name("X-Content-SHA256")!: sha],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        api.get("status") { _, _ in try json(API.StatusResponse(counts: try store.counts())) }
        api.get("leaderboard") { _, _ in try json(API.LeaderboardResponse(rows: try store.leaderboard())) }
        return router
    }

    static func bytes(_ request: Request, limit: Int = maxBodyBytes) async throws -> Data {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch {
            throw HTTPError(.contentTooLarge, message: "request body exceeds \(limit) bytes")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let body = try await bytes(request)
        do { return try JSONDecoder().decode(T.self, from: body) } catch {
            throw HTTPError(.badRequest, message: "invalid \(T.self) body: \(error)")
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func mapped(_ body: () throws -> Void) throws {
        do { try body() } catch let e as StoreError {
            switch e {
            case .jobNotFound: throw HTTPError(.notFound, message: e.description)
            case .staleClaim: throw HTTPError(.conflict, message: e.description)
            case .invalid: throw HTTPError(.badRequest, message: e.description)
            }
        }
    }
}
