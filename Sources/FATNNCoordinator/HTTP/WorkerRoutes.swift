import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension CoordinatorRoutes {
    /// Claim, heartbeat, result, fail, release and artifacts: the routes a worker uses.
    static func addWorkerRoutes(_ api: RouterGroup<CoordinatorContext>, store: any JobQueueStore, logger: Logger,
                                faults: CoordinatorFaults, uploads: ArtifactUploads) {
        api.post("jobs/claim") { request, context in
            let req = try await decode(API.ClaimRequest.self, request)
            guard (1...200).contains(req.worker.count), (1...255).contains(req.host.count) else {
                throw APIError(.invalidRequest, "worker must be 1-200 characters and host 1-255")
            }
            let reply = try await store.claimJSON(worker: req.worker, host: req.host, identity: context.identity?.name)
            if let job = reply.job { logger.info("job \(job.id) claimed by \(req.worker) (attempt \(job.attempt))") }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        api.post("jobs/{id}/progress") { request, context in
            let id = try jobId(context)
            let req = try await decode(API.ProgressRequest.self, request)
            try validToken(req.claimToken)
            if let e = req.epoch { try validEpoch(e) }
            return try json(try await store.heartbeat(job: id, token: req.claimToken, epoch: req.epoch))
        }
        api.post("jobs/{id}/result") { request, context in
            let id = try jobId(context)
            let req = try await decode(API.CompleteRequest.self, request)
            try validToken(req.claimToken)
            do { try req.result.validate() } catch { throw APIError(.invalidRequest, "\(error)") }
            try await store.complete(job: id, token: req.claimToken, result: req.result, identity: context.identity?.name)
            logger.info("job \(id) succeeded: test accuracy \(String(format: "%.4f", req.result.testAccuracy))")
            if faults.resultAckDelay > 0, faults.remaining.take() {
                logger.warning("fault injection: holding the acknowledgement of job \(id)'s result for \(faults.resultAckDelay) s")
                try await Task.sleep(nanoseconds: UInt64(faults.resultAckDelay * 1e9))
            }
            return try json(API.Ack())
        }
        api.post("jobs/{id}/fail") { request, context in
            let id = try jobId(context)
            let req = try await decode(API.FailRequest.self, request)
            try validToken(req.claimToken)
            try await store.fail(job: id, token: req.claimToken, error: req.error)
            logger.warning("job \(id) attempt failed: \(req.error.prefix(500))")
            return try json(API.Ack())
        }
        api.post("jobs/{id}/release") { request, context in
            let id = try jobId(context)
            let req = try await decode(API.ReleaseRequest.self, request)
            try validToken(req.claimToken)
            try await store.release(job: id, token: req.claimToken)
            logger.warning("job \(id) released unrun: \(req.reason.prefix(500))")
            return try json(API.Ack())
        }
        api.put("jobs/{id}/artifact") { request, context in
            let id = try jobId(context)
            guard let claim = request.headers[HTTPField.Name("X-Claim-Token")!] else {
                throw APIError(.invalidRequest, "missing X-Claim-Token header")
            }
            try validToken(claim)
            // The claim first: nothing of the body is read for a wrong or stale one.
            let config = try await store.artifactClaim(job: id, token: claim)
            let size = try await uploads.withSlot {
                let body = try await uploads.receive(request)
                try ArtifactUploads.validate(body.data, job: id, config: config)
                try await store.storeArtifact(job: id, token: claim, data: body.data, sha256: body.sha256)
                return body.data.count
            }
            logger.info("job \(id) stored its model (\(size) bytes)")
            return try json(API.Ack())
        }
        api.get("artifacts/{hash}") { request, context in
            let hash = try configHash(context)
            var replica = 0
            if let r = request.uri.queryParameters.get("replica") {
                guard let n = Int(r), (0...1_000_000).contains(n) else {
                    throw APIError(.invalidRequest, "replica must be an integer ≥ 0, got '\(r)'")
                }
                replica = n
            }
            guard let (data, sha) = try await store.artifact(configHash: hash, replica: replica) else {
                throw APIError(.artifactNotFound, "no model is stored for config hash \(hash)")
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", HTTPField.Name("X-Content-SHA256")!: sha],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    static func configHash(_ context: CoordinatorContext) throws -> String {
        let hash = try context.parameters.require("hash")
        guard JobConfig.isConfigHash(hash) else {
            throw APIError(.invalidRequest, "expected a 64-character hex config hash")
        }
        return hash
    }

    static func validEpoch(_ e: EpochReport) throws {
        do { try e.validate() } catch { throw APIError(.invalidRequest, "epoch report: \(error)") }
    }
}
