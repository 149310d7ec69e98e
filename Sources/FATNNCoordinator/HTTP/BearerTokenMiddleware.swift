import FATNNJobs
import Hummingbird

/// The request context of every coordinator route: who sent the request, once the token
/// middleware has checked its bearer token.
public struct CoordinatorContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The identity of the request's bearer token (nil before the middleware ran, and on `/health`).
    public var identity: Identity?

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
    }
}

/// Resolves bearer tokens to identities: the two token files (`admin`, `worker`), compared in
/// constant time, then named tokens by their SHA-256 (revoked ones no longer resolve).
struct TokenResolver: Sendable {
    let files: CoordinatorTokens
    let store: any JobQueueStore

    func identity(for given: String) async throws -> Identity? {
        let bytes = Array(given.utf8)
        // Both file tokens are compared every time, so the time does not tell which matched.
        let isAdmin = BearerTokenMiddleware.constantTimeEqual(bytes, Array(files.admin.utf8))
        let isWorker = files.worker.map { BearerTokenMiddleware.constantTimeEqual(bytes, Array($0.utf8)) } ?? false
        if isAdmin { return Identity(name: "admin", role: .admin) }
        if isWorker { return Identity(name: "worker", role: .worker) }
        guard (16...512).contains(bytes.count) else { return nil }
        return try await store.identity(sha256: SHA256.hex(bytes))
    }
}

/// Rejects every request whose `Authorization` header is not `Bearer TOKEN` for an identity with
/// one of `roles` (401), and records the identity in the context.
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = CoordinatorContext
    let resolver: TokenResolver
    let roles: Set<API.TokenRole>

    /// - Parameter roles: the roles allowed, e.g. only `admin` for routes the worker token cannot use.
    init(resolver: TokenResolver, roles: Set<API.TokenRole>) {
        self.resolver = resolver
        self.roles = roles
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "missing bearer token (send 'Authorization: Bearer TOKEN')")
        }
        guard let identity = try await resolver.identity(for: String(header.dropFirst(7))), roles.contains(identity.role) else {
            let role = roles.contains(.worker) ? "a worker or admin" : "an admin"
            throw APIError(.unauthorized, "wrong or revoked bearer token: this route needs \(role) token")
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }

    /// Whether `a` equals `b`, in a time that does not depend on where they first differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt(bitPattern: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            diff |= UInt((i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0))
        }
        return diff == 0
    }
}
