import FATNNJobs
import Foundation
import GRDB

/// Who sent a request: a named bearer token and its role. The two token files are the built-in
/// identities `admin` and `worker`.
public struct Identity: Sendable, Equatable {
    public var name: String
    public var role: API.TokenRole
    public init(name: String, role: API.TokenRole) { self.name = name; self.role = role }

    /// Refuses a name a new token cannot take: not 1-64 letters, digits, '.', '_' or '-', or one
    /// of the token files' identities (``JobStore/builtInIdentities``).
    ///
    /// - Throws: ``StoreError/invalid(_:)`` naming the rule.
    public static func checkNewName(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(name.count), name.allSatisfy({ allowed.contains($0) }) else {
            throw StoreError.invalid(SweepError(path: "name", "'\(name)' must be 1-64 letters, digits, '.', '_' or '-'"))
        }
        guard !JobStore.builtInIdentities.contains(name) else {
            throw StoreError.invalid(SweepError(path: "name", "a token named '\(name)' exists (revoked tokens keep their names)"))
        }
    }
}

/// Named bearer tokens (worker identities): created with a random value shown once, kept as
/// SHA-256 only, revocable.
extension JobStore {
    /// Names the two token files take; no named token may use them.
    public static let builtInIdentities = ["admin", "worker"]

    /// Creates the token `name` with `role`; returns its value (the only time it is seen).
    ///
    /// - Throws: ``StoreError/invalid(_:)`` for a bad or taken name.
    public func createToken(name: String, role: API.TokenRole) throws -> String {
        try write(createTokenOp(name: name, role: role))
    }

    func createTokenOp(name: String, role: API.TokenRole) -> @Sendable (Database) throws -> String {
        let t = now(), token = Self.newToken()
        return { db in
            try Identity.checkNewName(name)
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tokens WHERE name = ?", arguments: [name]) == nil else {
                throw StoreError.invalid(SweepError(path: "name", "a token named '\(name)' exists (revoked tokens keep their names)"))
            }
            try db.execute(sql: "INSERT INTO tokens (name, role, sha256, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, role.rawValue, SHA256.hex(token), t])
            return token
        }
    }

    /// Every named token, oldest first.
    public func tokens() throws -> [API.TokenInfo] { try pool.read(Self.tokens) }

    static func tokens(_ db: Database) throws -> [API.TokenInfo] {
        try Row.fetchAll(db, sql: "SELECT name, role, created_at, revoked_at FROM tokens ORDER BY created_at, name").map {
            API.TokenInfo(name: $0["name"], role: API.TokenRole(rawValue: $0["role"]) ?? .worker,
                          createdAt: $0["created_at"], revokedAt: $0["revoked_at"])
        }
    }

    /// Revokes the token `name`: it is refused from now on, and the jobs its running claims
    /// hold go back to the queue (not charged to any budget).
    ///
    /// - Returns: the jobs given back.
    /// - Throws: ``StoreError/invalid(_:)`` when no token has that name.
    public func revokeToken(name: String) throws -> [Int64] { try write(revokeTokenOp(name: name)) }

    func revokeTokenOp(name: String) -> @Sendable (Database) throws -> [Int64] {
        let t = now()
        return { [self] db in
            try db.execute(sql: "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE name = ?", arguments: [t, name])
            guard db.changesCount > 0 else {
                throw StoreError.invalid(SweepError(path: "name", "no token is named '\(name)'" +
                    (Self.builtInIdentities.contains(name) ? " (the token files' identities are replaced by changing the file)" : "")))
            }
            let claims = try Row.fetchAll(db, sql: """
                SELECT j.id, j.claim_token FROM jobs j JOIN attempts a ON a.job_id = j.id AND a.attempt = j.attempts
                WHERE j.state = 'leased' AND a.identity = ?
                """, arguments: [name])
            var dependents = false
            for c in claims { dependents = try apply(.release(token: c["claim_token"]), job: c["id"], db, now: t).needsDependencyCheck || dependents }
            if dependents { try failOrphans(db, now: t) }
            return claims.map { $0["id"] }
        }
    }

    /// The identity of the unrevoked named token whose SHA-256 is `sha256`, or nil.
    static func identity(_ db: Database, sha256: String) throws -> Identity? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT name, role FROM tokens WHERE sha256 = ? AND revoked_at IS NULL"),
                         arguments: [sha256]).map { Identity(name: $0["name"], role: API.TokenRole(rawValue: $0["role"]) ?? .worker) }
    }
}
