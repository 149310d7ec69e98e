@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Every route of the API and the dashboard, in-process, with no token, the worker token and the
/// admin token: a route refuses exactly the callers its role table says (`unauthorized`; the
/// dashboard redirects to its login page), and lets the others through to its handler (whatever
/// that then answers about the request itself). The table is checked against the router's own
/// list, so a route added without a row fails here.
@Suite struct RouteAccessTests {
    static let admin = RouteFixtures.admin, worker = RouteFixtures.worker

    enum Access { case anyone, workerOrAdmin, adminOnly, dashboard }

    /// Every route the router serves, with a request for it and who may call it.
    static let routes: [(HTTPRequest.Method, String, String?, Access)] = [
        (.get, "/health", nil, .anyone),
        (.post, "/api/jobs/claim", #"{"worker":"w","host":"h"}"#, .workerOrAdmin),
        (.post, "/api/jobs/1/progress", #"{"claimToken":"\#(String(repeating: "0", count: 64))"}"#, .workerOrAdmin),
        (.post, "/api/jobs/1/result", "{}", .workerOrAdmin),
        (.post, "/api/jobs/1/fail", "{}", .workerOrAdmin),
        (.post, "/api/jobs/1/release", "{}", .workerOrAdmin),
        (.put, "/api/jobs/1/artifact", "model", .workerOrAdmin),
        (.get, "/api/artifacts/\(String(repeating: "a", count: 64))", nil, .workerOrAdmin),
        (.get, "/api/status", nil, .workerOrAdmin),
        (.get, "/api/progress", nil, .workerOrAdmin),
        (.get, "/api/jobs", nil, .workerOrAdmin),
        (.get, "/api/jobs/1", nil, .workerOrAdmin),
        (.get, "/api/leaderboard", nil, .workerOrAdmin),
        (.get, "/api/compare?by=quantizer", nil, .workerOrAdmin),
        (.get, "/api/export", nil, .workerOrAdmin),
        (.get, "/api/datasets/mnist", nil, .workerOrAdmin),
        (.get, "/api/datasets/mnist/train-images-idx3-ubyte.gz", nil, .workerOrAdmin),
        (.get, "/metrics", nil, .workerOrAdmin),
        (.post, "/api/sweeps", #"{"name":"x"}"#, .adminOnly),
        (.post, "/api/cancel", #"{"jobs":[1]}"#, .adminOnly),
        (.post, "/api/retry", #"{"states":["failed"]}"#, .adminOnly),
        (.post, "/api/invalidate", #"{"jobs":[1],"reason":"r"}"#, .adminOnly),
        (.post, "/api/tokens", #"{"name":"gpu-1","role":"worker"}"#, .adminOnly),
        (.get, "/api/tokens", nil, .adminOnly),
        (.post, "/api/tokens/nobody/revoke", nil, .adminOnly),
        (.delete, "/api/artifacts/\(String(repeating: "a", count: 64))", nil, .adminOnly),
        (.post, "/api/sweeps/nope/pause", nil, .adminOnly),
        (.post, "/api/sweeps/nope/resume", nil, .adminOnly),
        (.get, "/ui", nil, .dashboard),
        (.get, "/ui/compare", nil, .dashboard),
        (.get, "/ui/progress", nil, .dashboard),
        (.get, "/ui/jobs/1", nil, .dashboard),
        (.get, "/ui/jobs/1/group", nil, .dashboard),
        (.get, "/ui/sweeps/s", nil, .dashboard),
        (.get, "/ui/login", nil, .anyone),
        (.post, "/ui/login", "token=\(admin)", .anyone),
        (.get, "/ui/logout", nil, .anyone),
    ]

    /// Whether `uri` (query ignored) is an instance of the router's `pattern` (`{name}` is one
    /// segment).
    static func matches(_ uri: String, _ pattern: String) -> Bool {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        let a = path.split(separator: "/"), b = pattern.split(separator: "/")
        return a.count == b.count && zip(a, b).allSatisfy { $1.hasPrefix("{") && $1.hasSuffix("}") || $0 == $1 }
    }

    @Test func theTableHasOneRowPerRouteTheRouterServes() throws {
        let served = RouteFixtures.router(try TestClock().store()).routes.map { ($0.method, $0.path.description) }
        #expect(served.count >= 30)
        for (method, pattern) in served {
            #expect(Self.routes.contains { $0.0 == method && Self.matches($0.1, pattern) }, "\(method) \(pattern) has no row in the table")
        }
        for (method, uri, _, _) in Self.routes {
            #expect(served.filter { $0.0 == method && Self.matches(uri, $0.1) }.count == 1, "\(method) \(uri): not one route of the router")
        }
    }

    @Test func everyRouteRefusesExactlyTheCallersItsRoleExcludes() async throws {
        let store = try TestClock().store()
        _ = try store.submit(try sampleSweep(seeds: [1], rates: [0.1]), document: "{}")
        let app = RouteFixtures.app(store)
        try await app.test(.router) { client in
            for (method, uri, body, access) in Self.routes {
                for (caller, token) in [("no token", nil), ("worker token", Self.worker), ("admin token", Self.admin)] as [(String, String?)] {
                    let allowed = switch access {
                    case .anyone: true
                    case .workerOrAdmin, .dashboard: token != nil
                    case .adminOnly: token == Self.admin
                    }
                    var headers: HTTPFields = [.contentType: "application/json"]
                    if let token { headers[.authorization] = "Bearer \(token)" }
                    try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
                        let code = try? JSONDecoder().decode(API.ErrorBody.self, from: Data(r.body.readableBytesView)).error.code
                        if allowed {
                            #expect(r.status != .unauthorized && code != .unauthorized && r.status != .internalServerError,
                                    "\(method) \(uri) with \(caller): \(r.status) \(code?.rawValue ?? "")")
                        } else if access == .dashboard {
                            #expect(r.status == .seeOther && r.headers[.location] == "/ui/login", "\(method) \(uri) with \(caller): \(r.status)")
                        } else {
                            #expect(r.status == .unauthorized && code == .unauthorized, "\(method) \(uri) with \(caller): \(r.status)")
                        }
                    }
                }
            }
        }
    }
}
