@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Dashboard log-in (issue 19): the cookie carries a random session id, never the token; it is
/// `Secure` when the coordinator serves TLS; logging out ends the session.
@Suite struct DashboardSessionTests {
    static let admin = "admin-token-0123456789"

    func app(secure: Bool) throws -> some ApplicationProtocol {
        Application(router: CoordinatorRoutes.router(store: try TestClock().store().queue, tokens: CoordinatorTokens(admin: Self.admin),
                                                     logger: Logger(label: "test"), secureCookies: secure))
    }

    @Test(arguments: [false, true])
    func loginSetsASessionCookieWithoutTheToken(secure: Bool) async throws {
        try await app(secure: secure).test(.router) { client in
            var cookie = ""
            try await client.execute(uri: "/ui/login?token=\(Self.admin)", method: .get) { r in
                #expect(r.status == .seeOther)
                let set = try #require(r.headers[.setCookie])
                #expect(!set.contains(Self.admin), "the token never goes into the cookie")
                #expect(set.hasPrefix("fatnn_session=") && set.contains("HttpOnly") && set.contains("SameSite=Strict"))
                #expect(set.contains("; Secure") == secure)
                cookie = String(set.prefix { $0 != ";" })
            }
            try await client.execute(uri: "/ui", method: .get, headers: [.cookie: cookie]) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/ui", method: .get, headers: [.cookie: "fatnn_token=\(Self.admin)"]) { r in
                #expect(r.status == .seeOther, "the old token cookie no longer logs in")
            }
            try await client.execute(uri: "/ui", method: .get, headers: [.cookie: "fatnn_session=" + String(repeating: "0", count: 64)]) { r in
                #expect(r.status == .seeOther, "an unknown session")
            }
            try await client.execute(uri: "/ui/logout", method: .get, headers: [.cookie: cookie]) { r in
                #expect(r.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
            try await client.execute(uri: "/ui", method: .get, headers: [.cookie: cookie]) { r in
                #expect(r.status == .seeOther, "logged out: the session is gone")
            }
        }
    }

    @Test func sessionsAreCappedOldestFirst() {
        let sessions = DashboardSessions(secure: false, lifetime: 60, capacity: 2)
        let ids = (0..<3).map { i in String(sessions.open(identity: i == 2 ? "gpu-1" : "admin").dropFirst("fatnn_session=".count).prefix { $0 != ";" }) }
        #expect(ids.map(sessions.isValid) == [false, true, true])
        sessions.close(identity: "gpu-1")  // its token was revoked
        #expect(ids.map(sessions.isValid) == [false, true, false])
    }
}
