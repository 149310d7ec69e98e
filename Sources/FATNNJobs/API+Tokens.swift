extension API {
    /// A bearer token's role: admin tokens may do everything, worker tokens claim and report
    /// jobs and read.
    public enum TokenRole: String, Codable, Sendable, CaseIterable {
        case worker, admin
    }

    /// `POST /api/tokens` (admin): a named token.
    public struct CreateTokenRequest: Codable, Sendable {
        public var name: String
        public var role: TokenRole
        public init(name: String, role: TokenRole) { self.name = name; self.role = role }
    }

    /// The new token, shown once: the coordinator keeps only its SHA-256.
    public struct CreateTokenResponse: Codable, Sendable {
        public var name: String
        public var role: TokenRole
        public var token: String
        public init(name: String, role: TokenRole, token: String) { self.name = name; self.role = role; self.token = token }
    }

    /// One named token, without its value.
    public struct TokenInfo: Codable, Sendable, Equatable {
        public var name: String
        public var role: TokenRole
        public var createdAt: Double
        /// When it was revoked; nil while it works.
        public var revokedAt: Double?
        public init(name: String, role: TokenRole, createdAt: Double, revokedAt: Double?) {
            self.name = name; self.role = role; self.createdAt = createdAt; self.revokedAt = revokedAt
        }
    }

    /// `GET /api/tokens` (admin): every named token, the two token files' built-in ones first.
    public struct TokensResponse: Codable, Sendable {
        public var tokens: [TokenInfo]
        public init(tokens: [TokenInfo]) { self.tokens = tokens }
    }

    /// `POST /api/tokens/{name}/revoke` (admin): the jobs its running claims held, given back.
    public struct RevokeResponse: Codable, Sendable {
        public var name: String
        public var releasedJobs: [Int64]
        public init(name: String, releasedJobs: [Int64]) { self.name = name; self.releasedJobs = releasedJobs }
    }
}
