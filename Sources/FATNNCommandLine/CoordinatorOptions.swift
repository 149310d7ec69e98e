import ArgumentParser
import FATNNClient
import Foundation

/// The options of every command that talks to a coordinator (`fatnn-coord`'s client commands,
/// `fatnn-worker`, `fatnn export --job`): where it is, which bearer token to send, and which CA
/// to trust over https.
public struct CoordinatorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Coordinator URL (default $FATNN_COORDINATOR or http://127.0.0.1:8470); several, comma-separated, for coordinators of one PostgreSQL store: a request that gets no answer goes to the next.", valueName: "url[,url…]"))
    public var coordinator: String = ProcessInfo.processInfo.environment["FATNN_COORDINATOR"] ?? "http://127.0.0.1:8470"

    @Option(help: ArgumentHelp("File holding the bearer token ('fatnn-coord serve' writes DB.token and DB.worker-token).", valueName: "file"))
    public var tokenFile: String?

    @Option(help: ArgumentHelp("Bearer token (prefer --token-file or FATNN_TOKEN: arguments are visible to other users).", valueName: "token"))
    public var token: String?

    @Option(name: .customLong("ca-file"),
            help: ArgumentHelp("PEM certificate(s) to trust for an https coordinator (default $FATNN_CA_FILE, else the system's): the ca.pem of 'fatnn-coord tls init'.", valueName: "file"))
    public var caFileOption: String?

    /// `--ca-file`, else `$FATNN_CA_FILE`, else nil (the system's roots).
    public var caFile: String? { caFileOption ?? ProcessInfo.processInfo.environment["FATNN_CA_FILE"] }

    public init() {}

    /// The token from `--token`, `--token-file` or `FATNN_TOKEN`.
    public func resolvedToken() throws -> String { try TokenSource.resolve(token: token, tokenFile: tokenFile) }

    /// A client of the coordinator.
    public func client(timeoutSeconds: Int64 = 30) throws -> CoordinatorClient {
        try CoordinatorClient(baseURL: coordinator, token: resolvedToken(), timeoutSeconds: timeoutSeconds, caFile: caFile)
    }
}
