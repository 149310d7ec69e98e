import Foundation
import HTTPTypes
import Hummingbird

/// Dashboard pages accept the API tokens from a `fatnn_token` cookie (set by `/ui/login`) or an
/// `Authorization: Bearer` header; a request without either is sent to the login page.
struct DashboardAuth<Context: RequestContext>: RouterMiddleware {
    let tokens: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let given = bearer ?? Self.cookie(request, "fatnn_token"), Self.valid(given, tokens) else {
            return Response(status: .seeOther, headers: [.location: "/ui/login"])
        }
        return try await next(request, context)
    }

    static func valid(_ given: String, _ tokens: [String]) -> Bool {
        BearerTokenMiddleware<Context>.matchesAny(Array(given.utf8), tokens.map { Array($0.utf8) })
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
