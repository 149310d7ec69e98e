import AsyncHTTPClient
import FATNNJobs
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Client of the coordinator's HTTP API (see `CoordinatorRoutes`), for workers and the CLI.
/// Every call carries the bearer token and has a timeout. Given several coordinators (of one
/// PostgreSQL store), a request that gets no answer from the one in use goes to the next.
public struct CoordinatorClient: Sendable {
    private let endpoints: CoordinatorEndpoints
    /// The coordinator requests go to now, e.g. `http://127.0.0.1:8470`.
    public var baseURL: String { endpoints.current }
    /// Every coordinator given, in order.
    public var baseURLs: [String] { endpoints.all }
    private let token: String
    private let timeout: TimeAmount
    private let tls: TLSConfiguration

    /// A client of the coordinator at `baseURL`, or of several (`URL1,URL2,…`: coordinators of
    /// one PostgreSQL store, tried in order when one stops answering).
    ///
    /// - Parameter timeoutSeconds: limit on each request, connection to last byte.
    /// - Throws: ``ClientError/invalidURL(_:)`` unless every URL is http(s).
    /// - Parameter caFile: PEM certificates to trust for an `https` coordinator instead of the
    ///   system's (the lab CA of `fatnn-coord tls init`); the server's certificate must also name
    ///   the URL's host. TLS 1.2 or later.
    /// - Throws: ``ClientError/badCAFile(path:reason:)`` when `caFile` holds no certificate.
    public init(baseURL: String, token: String, timeoutSeconds: Int64 = 30, caFile: String? = nil) throws {
        self.endpoints = try CoordinatorEndpoints(baseURL)
        self.token = token
        self.timeout = .seconds(timeoutSeconds)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caFile {
            let roots: [NIOSSLCertificate]
            do { roots = try NIOSSLCertificate.fromPEMFile(caFile) } catch {
                throw ClientError.badCAFile(path: caFile, reason: "not a readable PEM certificate file (\(error))")
            }
            guard !roots.isEmpty else { throw ClientError.badCAFile(path: caFile, reason: "holds no certificate") }
            tls.trustRoots = .certificates(roots)
        }
        self.tls = tls
    }

    /// Submits a sweep document; `replicate` > 0 adds that many copies of every job.
    public func submit(document: Data, replicate: Int = 0) async throws -> API.SubmitResponse {
        try await send(.POST, "/api/sweeps" + (replicate > 0 ? "?replicate=\(replicate)" : ""), body: document)
    }

    /// Cancels jobs by id, or every unfinished job of `sweep` (admin token).
    public func cancel(jobs: [Int64], sweep: String?) async throws -> [Int64] {
        let r: API.JobsResponse = try await send(.POST, "/api/cancel", body: encode(API.CancelRequest(jobs: jobs, sweep: sweep)))
        return r.jobs
    }

    /// Re-queues ended jobs in `states` (admin token).
    public func retry(states: [JobState], sweep: String?) async throws -> [Int64] {
        let r: API.JobsResponse = try await send(.POST, "/api/retry", body: encode(API.RetryRequest(states: states, sweep: sweep)))
        return r.jobs
    }

    /// Pauses or resumes handing out a sweep's jobs (admin token).
    public func setPaused(sweep: String, _ paused: Bool) async throws {
        let name = sweep.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? sweep
        let _: API.Ack = try await send(.POST, "/api/sweeps/\(name)/\(paused ? "pause" : "resume")", body: Data())
    }

    /// Deletes the stored models of a config hash, every replica (admin token); jobs that start
    /// from them wait for new ones.
    public func deleteArtifact(configHash: String) async throws {
        let _: API.Ack = try await send(.DELETE, "/api/artifacts/\(configHash)", body: nil)
    }

    /// Refuses succeeded jobs' results (admin token): they run again with fresh budgets; the old
    /// results stay in their attempt history.
    public func invalidate(jobs: [Int64], reason: String) async throws {
        let _: API.JobsResponse = try await send(.POST, "/api/invalidate", body: encode(API.InvalidateRequest(jobs: jobs, reason: reason)))
    }

    /// Creates a named token with `role` (admin token); the reply holds its value, shown once.
    public func createToken(name: String, role: API.TokenRole) async throws -> API.CreateTokenResponse {
        try await send(.POST, "/api/tokens", body: encode(API.CreateTokenRequest(name: name, role: role)))
    }

    /// Every token identity, the token files' built-in ones first (admin token).
    public func tokens() async throws -> [API.TokenInfo] {
        let r: API.TokensResponse = try await send(.GET, "/api/tokens", body: nil)
        return r.tokens
    }

    /// Revokes a named token; its running claims go back to the queue (admin token).
    public func revokeToken(name: String) async throws -> API.RevokeResponse {
        // Token names are letters, digits, '.', '_' and '-': unreserved in a URL path.
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._"))) ?? name
        return try await send(.POST, "/api/tokens/\(escaped)/revoke", body: Data())
    }

    /// One job with its attempts, epochs and result.
    public func job(_ id: Int64) async throws -> API.JobDetail { try await send(.GET, "/api/jobs/\(id)", body: nil) }

    /// The Prometheus metrics text.
    public func metrics() async throws -> String {
        String(decoding: try await exchange(.GET, "/metrics", body: nil).0, as: UTF8.self)
    }

    /// Claims a job, or returns nil when the queue is empty.
    public func claim(worker: String, host: String) async throws -> API.ClaimedJob? {
        try await claimNext(worker: worker, host: host).job
    }

    /// Claims a job; without one, the reply says whether jobs are still pending.
    public func claimNext(worker: String, host: String) async throws -> API.ClaimResponse {
        try await send(.POST, "/api/jobs/claim", body: encode(API.ClaimRequest(worker: worker, host: host)))
    }

    /// Heartbeat with optional epoch progress; the reply says whether the job was cancelled.
    /// Throws a 409 ``ClientError`` if the claim is stale.
    @discardableResult
    public func progress(job: Int64, token claim: String, epoch: EpochReport?) async throws -> API.HeartbeatReply {
        try await send(.POST, "/api/jobs/\(job)/progress", body: encode(API.ProgressRequest(claimToken: claim, epoch: epoch)))
    }

    /// Reports a job's result (idempotent for the same claim).
    public func complete(job: Int64, token claim: String, result: JobResult) async throws {
        let _: API.Ack = try await send(.POST, "/api/jobs/\(job)/result", body: encode(API.CompleteRequest(claimToken: claim, result: result)))
    }

    /// Reports that a job failed.
    public func fail(job: Int64, token claim: String, error: String) async throws {
        let _: API.Ack = try await send(.POST, "/api/jobs/\(job)/fail", body: encode(API.FailRequest(claimToken: claim, error: error)))
    }

    /// Gives a claimed job back to the queue unrun.
    public func release(job: Int64, token claim: String, reason: String) async throws {
        let _: API.Ack = try await send(.POST, "/api/jobs/\(job)/release", body: encode(API.ReleaseRequest(claimToken: claim, reason: reason)))
    }

    /// Stores the model file a claimed job produced (for the jobs that fine-tune from it).
    public func uploadArtifact(job: Int64, token claim: String, data: Data) async throws {
        let (_, _) = try await exchange(.PUT, "/api/jobs/\(job)/artifact", body: data, contentType: "application/octet-stream",
                                        headers: ["X-Claim-Token": claim])
    }

    /// The accepted model file of the job with `configHash` and `replica` (or of that config's
    /// lowest replica when it has no such one: what a fine-tuning job of `replica` starts from),
    /// checked against the coordinator's SHA-256 of it.
    public func downloadArtifact(configHash: String, replica: Int = 0) async throws -> Data {
        let (data, headers) = try await exchange(.GET, "/api/artifacts/\(configHash)?replica=\(replica)", body: nil)
        let digest = SHA256.hex([UInt8](data))
        guard headers.first(name: "X-Content-SHA256") == digest else {
            throw ClientError.badResponse("artifact \(configHash): SHA-256 \(digest) does not match the coordinator's \(headers.first(name: "X-Content-SHA256") ?? "(none)")")
        }
        return data
    }

    /// The files the coordinator serves for dataset `name`, with their checksums.
    public func datasetManifest(_ name: String) async throws -> API.DatasetManifest {
        try await send(.GET, "/api/datasets/\(name)", body: nil)
    }

    /// The bytes of one file of dataset `name`, unchecked: the caller (the worker's host
    /// dataset cache) checks them against the manifest before keeping them.
    ///
    /// - Parameter timeoutSeconds: limit on this download (larger than the usual request limit:
    ///   CIFAR-10's batches are 30 MB each).
    public func downloadDatasetFile(_ name: String, _ file: String, timeoutSeconds: Int64 = 600) async throws -> Data {
        try await exchange(.GET, "/api/datasets/\(name)/\(file)", body: nil, timeout: .seconds(timeoutSeconds)).0
    }

    /// Job counts by state.
    public func status() async throws -> API.StatusResponse { try await send(.GET, "/api/status", body: nil) }

    /// Per sweep: jobs per state, epochs left and the running jobs' pace; and the running jobs.
    public func progress() async throws -> API.ProgressReport { try await send(.GET, "/api/progress", body: nil) }

    /// Every job as a leaderboard row, best test accuracy first.
    public func leaderboard() async throws -> [LeaderboardRow] {
        let reply: API.LeaderboardResponse = try await send(.GET, "/api/jobs", body: nil)
        return reply.rows
    }

    /// Every job (of `sweep`) as JSON Lines of `API.ExportRecord`.
    public func export(sweep: String?) async throws -> Data {
        let path = sweep.map { "/api/export?sweep=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? "/api/export"
        return try await exchange(.GET, path, body: nil).0
    }

    /// Answers a leaderboard query (filter, sort, columns, grouping over seeds).
    public func query(_ q: LeaderboardQuery) async throws -> QueryTable {
        try await send(.GET, "/api/leaderboard?" + Self.encodedQuery(q.queryItems), body: nil)
    }

    /// Answers a paired comparison (`GET /api/compare`).
    public func compare(_ q: CompareQuery) async throws -> PairedComparison {
        try await send(.GET, "/api/compare?" + Self.encodedQuery(q.queryItems), body: nil)
    }

    /// URL query text of `items`, '+' encoded too (URLComponents leaves it alone, and servers read it as a space).
    static func encodedQuery(_ items: [(String, String)]) -> String {
        var c = URLComponents()
        c.queryItems = items.map { URLQueryItem(name: $0.0, value: $0.1) }
        return (c.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }

    /// One connection pool per process. A refused connection fails within the connect timeout
    /// (instead of the whole request deadline), so the worker's own backoff and log take over.
    static let http: HTTPClient = {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(3), read: .seconds(60))
        // Enough connections for many concurrent callers in one process (simulated workers,
        // --concurrency); the default of 8 would queue them.
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 128
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }()

    private func encode<T: Encodable>(_ value: T) throws -> Data { try Self.encoder.encode(value) }

    /// Shared coders (both are safe to use from several threads at once).
    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()

    private func send<T: Decodable>(_ method: HTTPMethod, _ path: String, body: Data?) async throws -> T {
        let (data, _) = try await exchange(method, path, body: body)
        do { return try Self.decoder.decode(T.self, from: data) } catch let e as API.UnreadableClaim { throw e } catch {
            throw ClientError.badResponse("\(T.self): \(error)")
        }
    }

    /// One request: the reply body and headers of a 2xx reply, else a ``ClientError``. A
    /// coordinator that does not answer is left for the next one given, each tried once.
    private func exchange(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String = "application/json",
                          headers extra: [String: String] = [:], timeout: TimeAmount? = nil) async throws -> (Data, HTTPHeaders) {
        var url = endpoints.current
        for _ in 1..<endpoints.all.count {
            do {
                return try await exchange(url, method, path, body: body, contentType: contentType, headers: extra, timeout: timeout)
            } catch ClientError.unreachable {
                url = endpoints.failover(from: url)
            }
        }
        return try await exchange(url, method, path, body: body, contentType: contentType, headers: extra, timeout: timeout)
    }

    private func exchange(_ baseURL: String, _ method: HTTPMethod, _ path: String, body: Data?, contentType: String,
                          headers extra: [String: String], timeout: TimeAmount?) async throws -> (Data, HTTPHeaders) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.tlsConfiguration = tls
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await Self.http.execute(request, timeout: timeout ?? self.timeout)
            bytes = try await response.body.collect(upTo: API.maxArtifactBytes)
        } catch let e where e is NIOSSLError || e is BoringSSLError || e is NIOSSLExtraError {
            throw ClientError.tls(url: baseURL, reason: Self.describe(e))
        } catch {
            throw ClientError.unreachable(url: baseURL, reason: Self.describe(error))
        }
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            throw ClientError.reply(status: Int(response.status.code), body: Array(data))
        }
        return (data, response.headers)
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError { return "\(e)" }
        return String(describing: error)
    }
}
