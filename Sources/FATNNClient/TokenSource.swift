import Foundation

/// Finds the bearer token for a client command: `--token`, then `--token-file`, then the
/// `FATNN_TOKEN` environment variable.
public enum TokenSource {
    /// The token, or an error that says how to supply one.
    public static func resolve(token: String?, tokenFile: String?) throws -> String {
        if let token, !token.isEmpty { return token }
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw TokenError("\(tokenFile): cannot read the token file")
            }
            let t = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !t.isEmpty else { throw TokenError("\(tokenFile): the token file is empty") }
            return t
        }
        if let env = ProcessInfo.processInfo.environment["FATNN_TOKEN"], !env.isEmpty { return env }
        throw TokenError("no token: pass --token-file FILE (fatnn-coord serve writes DB.token next to its database), --token, or set FATNN_TOKEN")
    }
}

/// A token that could not be found or read.
public struct TokenError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
