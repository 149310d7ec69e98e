import ArgumentParser
import FATNNCommandLine

struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop handing out a sweep's queued jobs; running jobs carry on (admin token).")

    @Argument(help: "Sweep name.")
    var sweep: String

    @OptionGroup var client: CoordinatorOptions

    func run() async throws { try await setPaused(sweep, true, client) }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Hand out a paused sweep's jobs again (admin token).")

    @Argument(help: "Sweep name.")
    var sweep: String

    @OptionGroup var client: CoordinatorOptions

    func run() async throws { try await setPaused(sweep, false, client) }
}

private func setPaused(_ sweep: String, _ paused: Bool, _ client: CoordinatorOptions) async throws {
    try await client.client().setPaused(sweep: sweep, paused)
    print("sweep '\(sweep)' \(paused ? "paused" : "resumed")")
}
