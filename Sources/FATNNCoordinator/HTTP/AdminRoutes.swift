import FATNNJobs
import Foundation
import Hummingbird
import Logging

extension CoordinatorRoutes {
    /// Submit, cancel, retry, pause and resume: the routes that need the admin token.
    static func addAdminRoutes(_ api: RouterGroup<CoordinatorContext>, store: any JobQueueStore, logger: Logger,
                               sessions: DashboardSessions) {
        api.post("sweeps") { request, _ in
            var replicate = 0
            if let r = request.uri.queryParameters.get("replicate") {
                guard let n = Int(r), (0...1000).contains(n) else {
                    throw APIError(.invalidRequest, "replicate must be an integer in 0...1000, got '\(r)'")
                }
                replicate = n
            }
            let body = try await bytes(request)
            // Expanding up to 100,000 jobs is CPU work: done on a dispatch queue, not on a thread
            // of the pool that serves every other request.
            let parsed: Result<Sweep, SweepError> = await withCheckedContinuation { c in
                DispatchQueue.global(qos: .userInitiated).async { c.resume(returning: Result { () throws(SweepError) in try Sweep.parse(body) }) }
            }
            let sweep: Sweep
            switch parsed {
            case .success(let s): sweep = s
            case .failure(let error): throw error
            }
            let reply = try await store.submit(sweep, document: String(decoding: body, as: UTF8.self), replicate: replicate)
            logger.info("sweep '\(sweep.name)': \(reply.added) jobs added, \(reply.duplicates) already present")
            return try json(reply)
        }
        api.post("cancel") { request, _ in
            let req = try await decode(API.CancelRequest.self, request)
            guard !req.jobs.isEmpty || req.sweep != nil else { throw APIError(.invalidRequest, "give job ids or a sweep") }
            guard req.jobs.count <= 100_000 else { throw APIError(.invalidRequest, "at most 100000 job ids per request") }
            let ids = try await store.cancel(jobs: req.jobs, sweep: req.sweep)
            logger.warning("cancelled \(ids.count) job(s)")
            return try json(API.JobsResponse(jobs: ids))
        }
        api.post("retry") { request, _ in
            let req = try await decode(API.RetryRequest.self, request)
            guard !req.states.isEmpty else { throw APIError(.invalidRequest, "states: give at least one of failed, dead, cancelled, pruned") }
            let ids = try await store.retry(states: req.states, sweep: req.sweep)
            logger.info("re-queued \(ids.count) job(s) in state \(req.states.map(\.rawValue).joined(separator: ","))")
            return try json(API.JobsResponse(jobs: ids))
        }
        api.post("invalidate") { request, _ in
            let req = try await decode(API.InvalidateRequest.self, request)
            guard (1...10_000).contains(req.jobs.count) else { throw APIError(.invalidRequest, "jobs: give 1 to 10000 job ids") }
            guard !req.reason.isEmpty, req.reason.count <= 1000 else { throw APIError(.invalidRequest, "reason: 1-1000 characters") }
            try await store.invalidate(jobs: req.jobs, reason: req.reason)
            logger.warning("invalidated the results of job(s) \(req.jobs.map(String.init).joined(separator: ", ")): \(req.reason)")
            return try json(API.JobsResponse(jobs: req.jobs))
        }
        api.post("tokens") { request, _ in
            let req = try await decode(API.CreateTokenRequest.self, request)
            let token = try await store.createToken(name: req.name, role: req.role)
            logger.info("token '\(req.name)' created (\(req.role.rawValue))")
            return try json(API.CreateTokenResponse(name: req.name, role: req.role, token: token), status: .created)
        }
        api.get("tokens") { _, _ in
            let builtIn = JobStore.builtInIdentities.map { API.TokenInfo(name: $0, role: $0 == "admin" ? .admin : .worker, createdAt: 0, revokedAt: nil) }
            return try json(API.TokensResponse(tokens: builtIn + (try await store.tokens())))
        }
        api.post("tokens/{name}/revoke") { _, context in
            let raw = try context.parameters.require("name")
            let name = raw.removingPercentEncoding ?? raw
            let released = try await store.revokeToken(name: name)
            sessions.close(identity: name)
            logger.warning("token '\(name)' revoked; \(released.count) running job(s) given back")
            return try json(API.RevokeResponse(name: name, releasedJobs: released))
        }
        api.delete("artifacts/{hash}") { _, context in
            let hash = try configHash(context)
            guard try await store.deleteArtifact(configHash: hash) else {
                throw APIError(.artifactNotFound, "no model is stored for config hash \(hash)")
            }
            logger.warning("model of config \(hash) deleted; jobs that start from it wait for a new one")
            return try json(API.Ack())
        }
        for (verb, paused) in [("pause", true), ("resume", false)] {
            api.post("sweeps/{name}/\(verb)") { _, context in
                let name = try context.parameters.require("name")
                try await store.setPaused(sweep: name, paused)
                logger.info("sweep '\(name)' \(paused ? "paused" : "resumed")")
                return try json(API.Ack())
            }
        }
    }
}
