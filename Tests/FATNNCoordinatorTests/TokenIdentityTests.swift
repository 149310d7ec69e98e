@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Worker identities (issue 19): named tokens stored hashed, recorded on every attempt and
/// result, revocable one at a time with their running claims released.
@Suite struct TokenIdentityTests {
    final class Box: @unchecked Sendable { var value = "" }

    static let admin = "admin-token-0123456789", worker = "worker-token-0123456789"
    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
    static func body<T: Encodable>(_ value: T) throws -> ByteBuffer { ByteBuffer(bytes: try JSONEncoder().encode(value)) }
    static func decode<T: Decodable>(_ type: T.Type, _ r: TestResponse) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(r.body.readableBytesView))
    }

    @Test func namedTokenClaimsReportsAndIsRevoked() async throws {
        let path = temporaryDatabase()
        let store = try JobStore(path: path, leaseSeconds: 60)
        _ = try store.submit(try Sweep.parse(Data(cnnSweep("id", grid: #""quantizer.kind": ["fp"]"#, seeds: [1, 2]).utf8)), document: "{}")
        let app = Application(router: CoordinatorRoutes.router(store: store.queue, tokens: CoordinatorTokens(admin: Self.admin, worker: Self.worker),
                                                                 logger: Logger(label: "test")))
        let tokenValue = Box()
        try await app.test(.router) { client in
            // Only an admin creates tokens.
            try await client.execute(uri: "/api/tokens", method: .post, headers: Self.bearer(Self.worker),
                                     body: try Self.body(API.CreateTokenRequest(name: "gpu-1", role: .worker))) { r in
                #expect(r.status == .unauthorized)
            }
            var token = ""
            try await client.execute(uri: "/api/tokens", method: .post, headers: Self.bearer(Self.admin),
                                     body: try Self.body(API.CreateTokenRequest(name: "gpu-1", role: .worker))) { r in
                #expect(r.status == .created)
                token = try Self.decode(API.CreateTokenResponse.self, r).token
            }
            #expect(token.count == 64)
            tokenValue.value = token
            for bad in ["gpu-1", "admin", "has space"] {
                try await client.execute(uri: "/api/tokens", method: .post, headers: Self.bearer(Self.admin),
                                         body: try Self.body(API.CreateTokenRequest(name: bad, role: .worker))) { r in
                    #expect(r.status == .badRequest, "\(bad)")
                }
            }
            // The named worker token claims, and cannot administer.
            var claimed: [API.ClaimedJob] = []
            for _ in 0..<2 {
                try await client.execute(uri: "/api/jobs/claim", method: .post, headers: Self.bearer(token),
                                         body: try Self.body(API.ClaimRequest(worker: "w1", host: "gpu-host"))) { r in
                    #expect(r.status == .ok)
                    if let job = try Self.decode(API.ClaimResponse.self, r).job { claimed.append(job) }
                }
            }
            #expect(claimed.count == 2)
            try await client.execute(uri: "/api/cancel", method: .post, headers: Self.bearer(token),
                                     body: try Self.body(API.CancelRequest(jobs: [claimed[0].id], sweep: nil))) { r in
                #expect(r.status == .unauthorized)
            }
            // One result, reported with the admin token: both identities are on record.
            try await client.execute(uri: "/api/jobs/\(claimed[0].id)/result", method: .post, headers: Self.bearer(Self.admin),
                                     body: try Self.body(API.CompleteRequest(claimToken: claimed[0].claimToken, result: sampleResult(0.9)))) { r in
                #expect(r.status == .ok)
            }
            let attempts = try store.attempts(job: claimed[0].id)
            let attempt = try #require(attempts.first)
            #expect(attempt.identity == "gpu-1" && attempt.resultIdentity == "admin")
            // Revoked: refused from now on, and its other claim is back in the queue.
            let secondID = claimed[1].id
            // The name escaped, as a client may send it.
            try await client.execute(uri: "/api/tokens/gpu%2D1/revoke", method: .post, headers: Self.bearer(Self.admin)) { r in
                let released = try Self.decode(API.RevokeResponse.self, r).releasedJobs
                #expect(r.status == .ok && released == [secondID])
            }
            try await client.execute(uri: "/api/status", method: .get, headers: Self.bearer(token)) { r in
                #expect(r.status == .unauthorized)
            }
            let second = try store.attempts(job: claimed[1].id)
            let counts = try store.counts()
            #expect(second.last?.outcome == .released && counts["queued"] == 1)
            try await client.execute(uri: "/api/tokens", method: .get, headers: Self.bearer(Self.admin)) { r in
                let list = try Self.decode(API.TokensResponse.self, r).tokens
                #expect(list.map(\.name) == ["admin", "worker", "gpu-1"] && list[2].revokedAt != nil)
            }
            try await client.execute(uri: "/api/tokens/nobody/revoke", method: .post, headers: Self.bearer(Self.admin)) { r in
                #expect(r.status == .badRequest)
            }
        }
        // Only the hash is stored: the token's text is nowhere in the database or its log.
        for file in [path, path + "-wal"] {
            let bytes = FileManager.default.contents(atPath: file) ?? Data()
            #expect(bytes.range(of: Data(tokenValue.value.utf8)) == nil, "\(file)")
        }
    }
}
