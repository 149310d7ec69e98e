extension API {
    /// What went wrong, as a machine code that coordinator and clients share: every error reply
    /// carries one (`{"error": {"code": "stale_claim", "message": "…"}}`), the coordinator picks
    /// the HTTP status from it (``status``), and clients decide on the code (``isTransient``,
    /// ``refusesRequest``), never on the status number.
    public enum ErrorCode: String, Codable, Sendable, CaseIterable {
        /// The claim token is not the job's current claim (lease expired and re-claimed, or the
        /// job ended): the worker must abandon the attempt. 409.
        case staleClaim = "stale_claim"
        /// The job's state does not allow the operation (cancelling a succeeded job). 409.
        case notAllowed = "not_allowed"
        /// No job has that id. 404.
        case jobNotFound = "job_not_found"
        /// No sweep has that name. 404.
        case sweepNotFound = "sweep_not_found"
        /// No model is stored for that config (or was never uploaded). 404.
        case artifactNotFound = "artifact_not_found"
        /// The dataset or one of its files cannot be served (unknown, or missing on this
        /// coordinator). 404.
        case datasetNotFound = "dataset_not_found"
        /// No such route. 404.
        case notFound = "not_found"
        /// The sweep document is invalid (the message names the JSON path). 400.
        case invalidSweep = "invalid_sweep"
        /// A leaderboard or comparison query is invalid (the message points at the token). 400.
        case invalidQuery = "invalid_query"
        /// An uploaded model file is not a valid model of the job. 400.
        case invalidModel = "invalid_model"
        /// A request body, parameter or header is malformed or out of range. 400.
        case invalidRequest = "invalid_request"
        /// Missing, wrong or revoked bearer token, or a token whose role may not use the route. 401.
        case unauthorized = "unauthorized"
        /// The body exceeds the route's size limit. 413.
        case tooLarge = "too_large"
        /// The coordinator is busy (too many uploads at once); try again after `Retry-After`. 503.
        case busy = "busy"
        /// The coordinator failed (its store, its disk); trying again may succeed. 500.
        case `internal` = "internal"

        /// The HTTP status the coordinator sends with this code.
        public var status: Int {
            switch self {
            case .staleClaim, .notAllowed: 409
            case .jobNotFound, .sweepNotFound, .artifactNotFound, .datasetNotFound, .notFound: 404
            case .invalidSweep, .invalidQuery, .invalidModel, .invalidRequest: 400
            case .unauthorized: 401
            case .tooLarge: 413
            case .busy: 503
            case .internal: 500
            }
        }

        /// Whether the same request may succeed later, unchanged.
        public var isTransient: Bool { self == .busy || self == .internal }

        /// Whether the coordinator refused the request for what it says: sending it again can
        /// never succeed (everything but the transient codes and a wrong token, which is the
        /// caller's configuration, not the request's fault).
        public var refusesRequest: Bool { !isTransient && self != .unauthorized }

        /// The code of an error reply that carries none (a proxy's, or the HTTP server's own
        /// before any route ran): the one place where a client reads an HTTP status.
        public init(replyWithoutCode status: Int) {
            switch status {
            case 401, 403: self = .unauthorized
            case 404: self = .notFound
            case 408, 429, 503: self = .busy
            case 413: self = .tooLarge
            case 500...: self = .internal
            default: self = .invalidRequest
            }
        }
    }

    /// The body of every error reply.
    public struct ErrorBody: Codable, Sendable {
        public struct Detail: Codable, Sendable {
            /// The machine code; nil when the reply carried none or one this build does not know.
            public var code: ErrorCode?
            public var message: String

            public init(code: ErrorCode?, message: String) { self.code = code; self.message = message }

            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                message = try c.decode(String.self, forKey: .message)
                code = (try? c.decodeIfPresent(String.self, forKey: .code)).flatMap { $0.flatMap(ErrorCode.init(rawValue:)) }
            }
        }
        public var error: Detail

        public init(code: ErrorCode, message: String) { error = Detail(code: code, message: message) }
    }
}
