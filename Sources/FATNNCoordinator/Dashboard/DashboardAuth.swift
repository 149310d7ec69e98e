import FATNNJobs
import Foundation
import HTTPTypes
import Hummingbird

/// Dashboard pages accept a session cookie (`fatnn_session`, set by `/ui/login` for a valid API
/// token) or an `Authorization: Bearer` header with a token; a request without either is sent to
/// the login page. The cookie holds a random session id, never the token, and is `Secure` when the
/// coordinator serves TLS.
struct DashboardAuth: RouterMiddleware {
    typealias Context = CoordinatorContext
    let resolver: TokenResolver
    let sessions: DashboardSessions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        let ok: Bool
        if let bearer { ok = try await resolver.identity(for: bearer) != nil } else {
            ok = Self.cookie(request, DashboardSessions.cookie).map(sessions.isValid) ?? false
        }
        guard ok else { return Response(status: .seeOther, headers: [.location: "/ui/login"]) }
        return try await next(request, context)
    }

    static func cookie(_ request: Request, _ name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0] == name { return String(kv[1]).removingPercentEncoding }
            }
        }
        return nil
    }

    /// `application/x-www-form-urlencoded` fields.
    static func form(_ body: Data) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let k = kv.first { out[k] = kv.count > 1 ? kv[1] : "" }
        }
        return out
    }
}

/// Logged-in dashboard sessions: random 256-bit ids, each valid for ``lifetime`` seconds, at most
/// ``capacity`` at once (the oldest goes first). Kept in memory: a restarted coordinator asks
/// everyone to log in again.
final class DashboardSessions: @unchecked Sendable {
    static let cookie = "fatnn_session"
    let lifetime: Double
    let capacity: Int
    /// `Secure` cookies (the coordinator serves TLS).
    let secure: Bool
    private let lock = NSLock()
    /// Session id → (expiry time, opening order, the identity that logged in).
    private var expiry: [String: (time: Double, order: Int, identity: String)] = [:]
    private var opened = 0

    init(secure: Bool, lifetime: Double = 12 * 3600, capacity: Int = 1000) {
        self.secure = secure
        self.lifetime = lifetime
        self.capacity = capacity
    }

    private var now: Double { Date().timeIntervalSince1970 }

    /// A new session of `identity` and the `Set-Cookie` value that carries it.
    func open(identity: String) -> String {
        let id = JobStore.newToken()
        let t = now
        lock.withLock {
            expiry = expiry.filter { $0.value.time > t }
            if expiry.count >= capacity, let oldest = expiry.min(by: { $0.value.order < $1.value.order })?.key { expiry[oldest] = nil }
            opened += 1
            expiry[id] = (t + lifetime, opened, identity)
        }
        return "\(Self.cookie)=\(id); Path=/ui; Max-Age=\(Int(lifetime)); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    func isValid(_ id: String) -> Bool {
        let t = now
        return lock.withLock { (expiry[id]?.time ?? 0) > t }
    }

    /// Ends every session of `identity` (its token was revoked).
    func close(identity: String) {
        lock.withLock { expiry = expiry.filter { $0.value.identity != identity } }
    }

    /// Ends the session `id` and returns the `Set-Cookie` value that clears it.
    func close(_ id: String?) -> String {
        if let id { _ = lock.withLock { expiry.removeValue(forKey: id) } }
        return "\(Self.cookie)=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }
}
