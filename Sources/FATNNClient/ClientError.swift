/// Why a call to the coordinator failed.
public enum ClientError: Error, CustomStringConvertible, Equatable {
    /// No HTTP answer (connection refused, timeout, DNS): worth retrying.
    case unreachable(url: String, reason: String)
    /// The coordinator answered with an error status and message.
    case http(status: Int, message: String)
    /// The coordinator's answer could not be decoded.
    case badResponse(String)
    /// The coordinator URL is not an http(s) URL.
    case invalidURL(String)
    /// The TLS handshake failed (the server's certificate is not trusted, or does not name the
    /// host): not worth retrying until the CA file or URL changes.
    case tls(url: String, reason: String)
    /// The `--ca-file` cannot be used.
    case badCAFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreachable(url, reason): return "coordinator unreachable at \(url): \(reason)"
        case let .http(status, message): return "coordinator answered \(status): \(message)"
        case let .badResponse(why): return "unreadable answer from the coordinator: \(why)"
        case let .invalidURL(url): return "'\(url)' is not a coordinator URL; expected http://HOST:PORT or https://HOST:PORT"
        case let .tls(url, reason): return "TLS with the coordinator at \(url) failed: \(reason) (is --ca-file the coordinator's CA, and does its certificate name this host?)"
        case let .badCAFile(path, reason): return "\(path): \(reason)"
        }
    }

    /// Whether trying again later may succeed (transport errors, 5xx, 429).
    public var isTransient: Bool {
        switch self {
        case .unreachable: return true
        case .http(let status, _): return status >= 500 || status == 429 || status == 408
        case .badResponse, .invalidURL, .tls, .badCAFile: return false
        }
    }

    /// The HTTP status, for an error answer.
    public var status: Int? {
        if case .http(let s, _) = self { return s }
        return nil
    }

    /// True when the coordinator refused a report for what it says (any 4xx but a transient 408
    /// or 429 and the 401/403 of a wrong token, which is this worker's fault, not the report's):
    /// sending it again cannot succeed.
    public var refusesReport: Bool {
        guard let status, (400..<500).contains(status) else { return false }
        return ![401, 403, 408, 429].contains(status)
    }

    /// True when the coordinator refused a stale claim (HTTP 409).
    public var isStaleClaim: Bool {
        if case .http(409, _) = self { return true }
        return false
    }
}
