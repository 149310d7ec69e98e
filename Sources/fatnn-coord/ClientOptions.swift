import ArgumentParser
import FATNNClient
import Foundation

/// Options shared by the commands that talk to a running coordinator.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Coordinator URL.", valueName: "url"))
    var coordinator: String = ProcessInfo.processInfo.environment["FATNN_COORDINATOR"] ?? "http://127.0.0.1:8470"

    @Option(help: ArgumentHelp("File holding the bearer token (serve writes DB.token).", valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("Bearer token (prefer --token-file or FATNN_TOKEN: arguments are visible to other users).", valueName: "token"))
    var token: String?

    func client() throws -> CoordinatorClient {
        try CoordinatorClient(baseURL: coordinator, token: TokenSource.resolve(token: token, tokenFile: tokenFile))
    }
}
