import FATNNCoordinator
import FATNNJobs

/// Named bearer tokens (worker identities), as the SQLite store keeps them: only the SHA-256 of
/// a token is stored; revoking one gives back the jobs its claims hold.
extension PostgresJobStore: JobTokenStore {
    public func identity(sha256: String) async throws -> Identity? {
        try await read { tx in
            try await tx.row("SELECT name, role FROM tokens WHERE sha256 = ? AND revoked_at IS NULL", [sha256]).map {
                Identity(name: try $0.get("name"), role: API.TokenRole(rawValue: try $0.get("role")) ?? .worker)
            }
        }
    }

    public func createToken(name: String, role: API.TokenRole) async throws -> String {
        let t = now(), token = JobStore.newToken()
        try Identity.checkNewName(name)
        return try await transaction { tx in
            guard try await !tx.rows("""
                INSERT INTO tokens (name, role, sha256, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING name
                """, [name, role.rawValue, SHA256.hex(token), t]).isEmpty else {
                throw StoreError.invalid(SweepError(path: "name", "a token named '\(name)' exists (revoked tokens keep their names)"))
            }
            return token
        }
    }

    public func tokens() async throws -> [API.TokenInfo] {
        try await read { tx in
            try await tx.rows("SELECT name, role, created_at, revoked_at FROM tokens ORDER BY created_at, name").map {
                API.TokenInfo(name: try $0.get("name"), role: API.TokenRole(rawValue: try $0.get("role")) ?? .worker,
                              createdAt: try $0.get("created_at"), revokedAt: try $0.get("revoked_at"))
            }
        }
    }

    public func revokeToken(name: String) async throws -> [Int64] {
        let t = now()
        return try await transaction { tx in
            guard try await !tx.rows("UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE name = ? RETURNING name", [t, name]).isEmpty else {
                throw StoreError.invalid(SweepError(path: "name", "no token is named '\(name)'" +
                    (JobStore.builtInIdentities.contains(name) ? " (the token files' identities are replaced by changing the file)" : "")))
            }
            let claims = try await tx.rows("""
                SELECT j.id, j.claim_token FROM jobs j JOIN attempts a ON a.job_id = j.id AND a.attempt = j.attempts
                WHERE j.state = 'leased' AND a.identity = ? ORDER BY j.id
                """, [name])
            var dependents = false, ids: [Int64] = []
            for c in claims {
                let id: Int64 = try c.get("id")
                dependents = try await apply(.release(token: try c.get("claim_token")), job: id, tx, now: t).needsDependencyCheck || dependents
                ids.append(id)
            }
            if dependents { try await failOrphans(tx, now: t) }
            return ids
        }
    }
}
