import FATNNJobs
import Foundation

/// Why a call to the coordinator failed.
///
/// Decisions read the error's ``API/ErrorCode`` (shared with the coordinator), never its HTTP
/// status: only a reply without a code (a proxy's, or the HTTP server's own) gets one from its
/// status, in ``API/ErrorCode/init(replyWithoutCode:)``.
public enum ClientError: Error, CustomStringConvertible, Equatable {
    /// No HTTP answer (connection refused, timeout, DNS): worth retrying.
    case unreachable(url: String, reason: String)
    /// The coordinator answered with an error: its code, message and (for logs) status.
    case http(status: Int, code: API.ErrorCode, message: String)
    /// The coordinator's answer could not be decoded.
    case badResponse(String)
    /// The coordinator URL is not an http(s) URL.
    case invalidURL(String)
    /// The TLS handshake failed (the server's certificate is not trusted, or does not name the
    /// host): not worth retrying until the CA file or URL changes.
    case tls(url: String, reason: String)
    /// The `--ca-file` cannot be used.
    case badCAFile(path: String, reason: String)

    /// The error of an error reply: the code its body carries, else one from its status.
    public static func reply(status: Int, body: [UInt8]) -> ClientError {
        let detail = try? JSONDecoder().decode(API.ErrorBody.self, from: Data(body)).error
        return .http(status: status, code: detail?.code ?? API.ErrorCode(replyWithoutCode: status),
                     message: detail?.message ?? String(decoding: body.prefix(500), as: UTF8.self))
    }

    public var description: String {
        switch self {
        case let .unreachable(url, reason): return "coordinator unreachable at \(url): \(reason)"
        case let .http(status, code, message): return "coordinator answered \(status) \(code.rawValue): \(message)"
        case let .badResponse(why): return "unreadable answer from the coordinator: \(why)"
        case let .invalidURL(url): return "'\(url)' is not a coordinator URL; expected http://HOST:PORT or https://HOST:PORT"
        case let .tls(url, reason): return "TLS with the coordinator at \(url) failed: \(reason) (is --ca-file the coordinator's CA, and does its certificate name this host?)"
        case let .badCAFile(path, reason): return "\(path): \(reason)"
        }
    }

    /// The coordinator's code, for an error reply.
    public var code: API.ErrorCode? {
        if case .http(_, let code, _) = self { return code }
        return nil
    }

    /// Whether trying again later may succeed (transport errors, a busy or failing coordinator).
    public var isTransient: Bool {
        switch self {
        case .unreachable: return true
        case .http(_, let code, _): return code.isTransient
        case .badResponse, .invalidURL, .tls, .badCAFile: return false
        }
    }

    /// True when the coordinator refused a report for what it says (``API/ErrorCode/refusesRequest``):
    /// sending it again cannot succeed.
    public var refusesReport: Bool { code?.refusesRequest ?? false }

    /// True when the coordinator refused a stale claim.
    public var isStaleClaim: Bool { code == .staleClaim }

    /// True when the claim is gone: stale, or its job no longer exists.
    public var meansClaimLost: Bool { code == .staleClaim || code == .jobNotFound }

    /// True when the coordinator refused an uploaded model itself (invalid, too large, or a
    /// malformed upload request), as opposed to the claim behind it.
    public var refusesModel: Bool { code == .invalidModel || code == .tooLarge || code == .invalidRequest }
}
