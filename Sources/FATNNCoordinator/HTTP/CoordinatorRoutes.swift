import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The coordinator's HTTP API: thin handlers that decode, validate, call the store, and encode.
///
/// Worker routes (worker or admin token):
///
/// | method | path | body → reply |
/// |---|---|---|
/// | POST | /api/jobs/claim | `ClaimRequest` → `ClaimResponse` |
/// | POST | /api/jobs/{id}/progress | `ProgressRequest` → `HeartbeatReply` (409 if the claim is stale) |
/// | POST | /api/jobs/{id}/result | `CompleteRequest` → `Ack` (idempotent; sent after the commit) |
/// | POST | /api/jobs/{id}/fail | `FailRequest` → `Ack` |
/// | POST | /api/jobs/{id}/release | `ReleaseRequest` → `Ack` (job back to the queue, unrun) |
/// | PUT | /api/jobs/{id}/artifact | model file bytes, header `X-Claim-Token` → `Ack` (claim checked before the body is read; 400 unless a valid model of the job's architecture, dataset and quantizer; 413 past the size cap; 503 with `Retry-After` while too many uploads run) |
/// | GET | /api/artifacts/{configHash}[?replica=N] | → the accepted model of that config's replica N (or its lowest replica when it has no N: the model a fine-tuning job of replica N starts from), header `X-Content-SHA256` (404 if none) |
///
/// Read routes (either token): `GET /api/status`, `GET /api/progress` (a `ProgressReport`: jobs per
/// state, epochs left and pace per sweep, the running jobs), `GET /api/jobs` (every job as a
/// `LeaderboardRow`), `GET /api/jobs/{id}`, `GET /api/leaderboard?where=…&sort=…&columns=…&group=…&limit=…&sweep=…`
/// (a `QueryTable`; the query language of `LeaderboardQuery`, errors point at the token),
/// `GET /api/compare?by=…&baseline=…&metric=…&where=…&sweep=…` (a `PairedComparison`; 400 naming
/// the bad key, metric, baseline or filter token),
/// `GET /api/export[?sweep=NAME]` (JSON Lines of `ExportRecord`), `GET /metrics` (Prometheus text).
///
/// Tokens: the two token files (identities `admin` and `worker`) and named tokens (`POST
/// /api/tokens`), each with a role; the middleware records the identity in ``CoordinatorContext``,
/// and every attempt and accepted result records which identity claimed and reported it.
///
/// Admin routes (admin token only): `POST /api/tokens` (`CreateTokenRequest` → the token, once),
/// `GET /api/tokens`, `POST /api/tokens/{name}/revoke` (its running claims are released),
/// `POST /api/sweeps[?replicate=N]` (sweep document →
/// `SubmitResponse`), `POST /api/cancel` (`CancelRequest`), `POST /api/retry` (`RetryRequest`),
/// `POST /api/sweeps/{name}/pause`, `POST /api/sweeps/{name}/resume`, `DELETE /api/artifacts/{configHash}`
/// (removes a stored model; jobs that start from it wait for a new one).
///
/// `GET /health` needs no token. Every error is JSON `{"error": {"code": …, "message": …}}`, the
/// code an ``API/ErrorCode`` that fixes the status (`ErrorReplies.swift`).
public enum CoordinatorRoutes {
    /// Largest request body accepted, in bytes.
    public static let maxBodyBytes = Sweep.maxDocumentBytes

    /// A router serving `store`: workers need `tokens.worker` or `tokens.admin`, administration
    /// needs `tokens.admin`.
    public static func router(store: any JobQueueStore, tokens: CoordinatorTokens, logger: Logger,
                              faults: CoordinatorFaults = CoordinatorFaults(),
                              datasets: DatasetLibrary = DatasetLibrary(),
                              uploads: ArtifactUploads = ArtifactUploads(),
                              secureCookies: Bool = false) -> Router<CoordinatorContext> {
        let router = Router(context: CoordinatorContext.self)
        router.add(middleware: ErrorCodeMiddleware())
        router.get("/health") { _, _ in try json(API.Ack()) }
        let resolver = TokenResolver(files: tokens, store: store)
        let either = BearerTokenMiddleware(resolver: resolver, roles: [.worker, .admin])
        let admin = BearerTokenMiddleware(resolver: resolver, roles: [.admin])
        addWorkerRoutes(router.group("api").add(middleware: either), store: store, logger: logger, faults: faults, uploads: uploads)
        addReadRoutes(router.group("api").add(middleware: either), store: store)
        addDatasetRoutes(router.group("api").add(middleware: either), library: datasets)
        router.group("metrics").add(middleware: either).get { _, _ in
            let text = PrometheusText.render(try await store.metrics())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let sessions = DashboardSessions(secure: secureCookies)
        addAdminRoutes(router.group("api").add(middleware: admin), store: store, logger: logger, sessions: sessions)
        DashboardRoutes.add(to: router, store: store, resolver: resolver, sessions: sessions)
        return router
    }

    static func addReadRoutes(_ api: RouterGroup<CoordinatorContext>, store: any JobQueueStore) {
        api.get("status") { _, _ in try json(API.StatusResponse(counts: try await store.counts())) }
        api.get("progress") { _, _ in try json(try await store.progress()) }
        api.get("jobs") { _, _ in try json(API.LeaderboardResponse(rows: try await store.leaderboard(limit: 10_000))) }
        api.get("leaderboard") { request, _ in
            let items = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            return try json(try await store.query(try LeaderboardQuery.from(items: items)))
        }
        api.get("compare") { request, _ in
            let items = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            return try json(try await store.compare(try CompareQuery.from(items: items)))
        }
        api.get("export") { request, _ in
            let sweep = request.uri.queryParameters.get("sweep")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var body = ByteBuffer()
            for record in try await store.export(sweep: sweep) {
                body.writeBytes(try encoder.encode(record))
                body.writeString("\n")
            }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: body))
        }
        api.get("jobs/{id}") { _, context in
            let id = try jobId(context)
            guard let detail = try await store.jobDetail(id) else { throw APIError(.jobNotFound, "job \(id) does not exist") }
            return try json(detail)
        }
    }

    static func bytes(_ request: Request, limit: Int = maxBodyBytes) async throws -> Data {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch {
            throw APIError(.tooLarge, "request body exceeds \(limit) bytes")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let body = try await bytes(request)
        do { return try decoder.decode(T.self, from: body) } catch {
            throw APIError(.invalidRequest, "invalid \(T.self) body: \(error)")
        }
    }

    /// Shared coders (both are safe to use from several threads at once).
    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()

    static func jobId(_ context: CoordinatorContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self), id > 0 else {
            throw APIError(.invalidRequest, "job id must be a positive integer")
        }
        return id
    }

    /// A claim token as issued: 64 lowercase hex digits.
    static func validToken(_ token: String) throws {
        guard token.utf8.count == 64, token.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw APIError(.invalidRequest, "claimToken must be the 64 hex digits the claim returned")
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The coordinator's bearer tokens.
public struct CoordinatorTokens: Sendable {
    /// Full access: submit, cancel, retry, pause, and everything a worker may do.
    public var admin: String
    /// Worker access: claim, report, read; nil when only the admin token exists.
    public var worker: String?
    public init(admin: String, worker: String? = nil) { self.admin = admin; self.worker = worker }
}

/// Faults injected for reliability tests (`fatnn-coord serve --fault-…`): off by default.
public struct CoordinatorFaults: Sendable {
    /// The first N accepted results are acknowledged only after `resultAckDelay` seconds, so a
    /// worker with a shorter request timeout sees its acknowledgement lost after the commit.
    public var delayedResultAcks: Int
    /// Delay of those acknowledgements, seconds.
    public var resultAckDelay: Double
    let remaining: Counter
    public init(delayedResultAcks: Int = 0, resultAckDelay: Double = 0) {
        self.delayedResultAcks = delayedResultAcks
        self.resultAckDelay = resultAckDelay
        self.remaining = Counter(delayedResultAcks)
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int
        init(_ v: Int) { value = v }
        /// Takes one if any is left.
        func take() -> Bool { lock.withLock { if value > 0 { value -= 1; return true }; return false } }
    }
}
