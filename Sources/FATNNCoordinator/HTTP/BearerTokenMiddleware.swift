import Hummingbird

/// Rejects every request whose `Authorization` header is not `Bearer TOKEN` for one of
/// `tokens` with 401. Each comparison takes the same time wherever the first difference is.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: [[UInt8]]
    let role: String

    /// - Parameter role: named in the error, e.g. `admin` for routes the worker token cannot use.
    init(tokens: [String], role: String) {
        self.tokens = tokens.map { Array($0.utf8) }
        self.role = role
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw HTTPError(.unauthorized, message: "missing bearer token (send 'Authorization: Bearer TOKEN')")
        }
        guard Self.matchesAny(Array(header.dropFirst(7).utf8), tokens) else { throw HTTPError(.unauthorized, message: "wrong bearer token: this route needs the \(role) token") }
        return try await next(request, context)
    }

    /// Whether `given` equals one of `tokens`. Every token is compared in constant time, so the
    /// time tells neither how much of a token matched nor which one did.
    static func matchesAny(_ given: [UInt8], _ tokens: [[UInt8]]) -> Bool {
        var ok = false
        for t in tokens { ok = constantTimeEqual(given, t) || ok }
        return ok
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt(bitPattern: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            diff |= UInt((i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0))
        }
        return diff == 0
    }
}
