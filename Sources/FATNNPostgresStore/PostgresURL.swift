import Foundation
import PostgresNIO

/// The `postgresql://` store URLs `fatnn-coord` accepts:
///
/// - `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE` over TCP (TLS required unless the host
///   is loopback, where it is preferred);
/// - `postgresql://USER@/DATABASE?host=/path/to/socket/dir` over the Unix socket in that folder
///   (what `scripts/postgres.sh` prints);
/// - either with `schema=NAME` (`?schema=lab2`, or `&schema=…` after `host=`): the tables live in
///   that PostgreSQL schema, so several FATNN stores can share one database.
public enum PostgresURL {
    /// Why a URL was refused.
    public struct Invalid: Error, CustomStringConvertible {
        public let url: String
        public let reason: String
        public var description: String { "store URL '\(PostgresURL.redacted(url))': \(reason)" }
    }

    /// The connection settings `url` names.
    ///
    /// - Throws: ``Invalid`` naming what is missing or malformed (the password is never printed).
    public static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let c = URLComponents(string: url), let scheme = c.scheme, ["postgresql", "postgres"].contains(scheme) else {
            throw Invalid(url: url, reason: "expected postgresql://USER@HOST/DATABASE or postgresql://USER@/DATABASE?host=SOCKET_DIR")
        }
        guard let user = c.user, !user.isEmpty else { throw Invalid(url: url, reason: "no user name (postgresql://USER@…)") }
        let database = String(c.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw Invalid(url: url, reason: "no database name after the host (…/DATABASE)") }
        let socketDir = c.queryItems?.first(where: { $0.name == "host" })?.value
        if let extra = c.queryItems?.first(where: { $0.name != "host" && $0.name != "schema" }) {
            throw Invalid(url: url, reason: "unknown parameter '\(extra.name)' (host=SOCKET_DIR and schema=NAME are understood)")
        }
        if let schema = try schema(url), let problem = schemaProblem(schema) { throw Invalid(url: url, reason: problem) }
        if let dir = socketDir {
            guard dir.hasPrefix("/") else { throw Invalid(url: url, reason: "host= must be an absolute socket folder") }
            guard c.host?.isEmpty ?? true else { throw Invalid(url: url, reason: "give either a host name or host=SOCKET_DIR, not both") }
            return .init(unixSocketPath: dir + "/.s.PGSQL.\(c.port ?? 5432)", username: user, password: c.password, database: database)
        }
        guard let host = c.host, !host.isEmpty else {
            throw Invalid(url: url, reason: "no host (postgresql://USER@HOST/DATABASE, or ?host=SOCKET_DIR for a Unix socket)")
        }
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host)
        let tls: PostgresClient.Configuration.TLS = loopback ? .prefer(.makeClientConfiguration()) : .require(.makeClientConfiguration())
        return .init(host: host, port: c.port ?? 5432, username: user, password: c.password, database: database, tls: tls)
    }

    /// The `schema=` parameter of `url`, if any.
    public static func schema(_ url: String) throws -> String? {
        guard let c = URLComponents(string: url) else { throw Invalid(url: url, reason: "not a URL") }
        return c.queryItems?.first(where: { $0.name == "schema" })?.value
    }

    /// Why `name` cannot be a schema name (nil: it can): 1-63 lower-case letters, digits or '_',
    /// not starting with a digit (so it is never quoted, and never SQL).
    public static func schemaProblem(_ name: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
        guard (1...63).contains(name.count), name.allSatisfy({ allowed.contains($0) }), !(name.first?.isNumber ?? true) else {
            return "schema '\(name)' must be 1-63 lower-case letters, digits or '_', not starting with a digit"
        }
        return nil
    }

    /// `url` with its password replaced by `***`, for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? "postgresql://…"
    }
}
