@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Every error reply carries its machine code and the status the code fixes: requests that
/// provoke each code the routes can produce, in-process (HummingbirdTesting).
@Suite struct ErrorReplyTests {
    static let admin = RouteFixtures.admin, worker = RouteFixtures.worker
    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    static func body(_ r: TestResponse) -> API.ErrorBody.Detail? {
        try? JSONDecoder().decode(API.ErrorBody.self, from: Data(r.body.readableBytesView)).error
    }

    @Test func eachRefusalCarriesItsCode() async throws {
        let store = try TestClock().store()
        _ = try store.submit(try Sweep.parse(Data(cnnSweep("e", grid: #""quantizer.kind": ["fatnn"]"#, seeds: [1, 2]).utf8)), document: "{}")
        let job = try #require(try store.claim(worker: "w", host: "h"))
        try store.complete(job: job.id, token: job.claimToken, result: sampleResult(0.9))
        let app = RouteFixtures.app(store)
        let stale = String(repeating: "0", count: 64)
        let cases: [(String, HTTPRequest.Method, String, String?, String, API.ErrorCode)] = [
            ("/api/status", .get, "", nil, "no token", .unauthorized),
            ("/api/status", .get, "wrong-token-0123456789", nil, "wrong token", .unauthorized),
            ("/api/cancel", .post, Self.worker, #"{"jobs":[1]}"#, "worker token on an admin route", .unauthorized),
            ("/api/jobs/\(job.id)/progress", .post, Self.worker, #"{"claimToken":"\#(stale)"}"#, "stale claim", .staleClaim),
            ("/api/jobs/999/progress", .post, Self.worker, #"{"claimToken":"\#(stale)"}"#, "no such job", .jobNotFound),
            ("/api/jobs/abc/progress", .post, Self.worker, #"{"claimToken":"\#(stale)"}"#, "bad job id", .invalidRequest),
            ("/api/jobs/\(job.id)/progress", .post, Self.worker, #"{"claimToken":"short"}"#, "malformed token", .invalidRequest),
            ("/api/jobs/\(job.id)/progress", .post, Self.worker, "not json", "malformed body", .invalidRequest),
            ("/api/cancel", .post, Self.admin, #"{"jobs":[\#(job.id)]}"#, "cancel a succeeded job", .notAllowed),
            ("/api/sweeps/nope/pause", .post, Self.admin, nil, "unknown sweep", .sweepNotFound),
            ("/api/sweeps", .post, Self.admin, #"{"name":"x"}"#, "invalid sweep", .invalidSweep),
            ("/api/leaderboard?where=test_acc%20%3E", .get, Self.worker, nil, "bad filter", .invalidQuery),
            ("/api/compare?by=nope", .get, Self.worker, nil, "bad comparison key", .invalidQuery),
            ("/api/datasets/imagenet", .get, Self.worker, nil, "unknown dataset", .datasetNotFound),
            ("/api/artifacts/\(String(repeating: "a", count: 64))", .get, Self.worker, nil, "no stored model", .artifactNotFound),
            ("/api/nowhere", .get, Self.worker, nil, "no such route", .notFound),
        ]
        try await app.test(.router) { client in
            for (uri, method, token, body, why, code) in cases {
                var headers = Self.bearer(token)
                if token.isEmpty { headers = [:] }
                try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
                    let detail = Self.body(r)
                    #expect(detail?.code == code, "\(why): \(r.status) \(detail.map { "\($0.code?.rawValue ?? "no code"): \($0.message)" } ?? "no error body")")
                    #expect(Int(r.status.code) == code.status, "\(why): status \(r.status) for \(code)")
                }
            }
            // Past the body limit.
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: CoordinatorRoutes.maxBodyBytes + 1)
            try await client.execute(uri: "/api/sweeps", method: .post, headers: Self.bearer(Self.admin), body: big) { r in
                #expect(Self.body(r)?.code == .tooLarge && r.status == .contentTooLarge)
            }
        }
    }

    /// The store's, sweep, query and dataset errors each map themselves to one code.
    @Test func domainErrorsMapThemselves() {
        let mapped: [(any APIErrorConvertible, API.ErrorCode)] = [
            (StoreError.jobNotFound(1), .jobNotFound), (StoreError.sweepNotFound("s"), .sweepNotFound),
            (StoreError.staleClaim(1), .staleClaim), (StoreError.notAllowed(1, .succeeded, "cancel"), .notAllowed),
            (StoreError.invalid(SweepError(path: "state", "no")), .invalidRequest), (SweepError(path: "base", "no"), .invalidSweep),
            (DatasetLibrary.Failure.unknownDataset("x"), .datasetNotFound), (DatasetLibrary.Failure.unavailable("x"), .datasetNotFound),
        ]
        for (error, code) in mapped {
            #expect(error.apiError.code == code && Int(error.status.code) == code.status, "\(error)")
        }
        #expect(APIError(.busy, "full", headers: [.retryAfter: "5"]).status == .serviceUnavailable)
    }
}
