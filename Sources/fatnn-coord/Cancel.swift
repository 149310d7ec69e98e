import ArgumentParser
import FATNNCommandLine

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel jobs by id, or every unfinished job of a sweep (admin token).",
        discussion: """
            A queued job ends cancelled at once. A running job's worker is told on its next \
            heartbeat; it stops and gives the job back, which then ends cancelled (a result that \
            arrives before the worker hears of it is still accepted). 'retry --state cancelled' \
            queues cancelled jobs again.
            """)

    @Argument(help: "Job ids.")
    var jobs: [Int64] = []

    @Option(help: "Cancel every queued or running job of this sweep.")
    var sweep: String?

    @OptionGroup var client: CoordinatorOptions

    func validate() throws {
        guard !jobs.isEmpty || sweep != nil else { throw ValidationError("give job ids or --sweep NAME") }
    }

    func run() async throws {
        let ids = try await client.client().cancel(jobs: jobs, sweep: sweep)
        print("cancelled \(ids.count) job(s)" + (ids.isEmpty ? "" : ": " + ids.map(String.init).joined(separator: " ")))
    }
}
