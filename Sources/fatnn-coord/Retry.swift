import ArgumentParser
import FATNNCommandLine
import FATNNJobs

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue ended jobs again with fresh retry budgets; only what failed is re-run (admin token).",
        discussion: "Jobs that succeeded are never touched. Their attempts so far stay in the record ('job ID').")

    @Option(help: ArgumentHelp("Comma-separated states to re-run: failed, dead, cancelled, pruned.", valueName: "states"))
    var state: String = "failed,dead"

    @Option(help: "Only jobs of this sweep.")
    var sweep: String?

    @OptionGroup var client: CoordinatorOptions

    func states() throws -> [JobState] {
        try state.split(separator: ",").map { part in
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let s = JobState(rawValue: name), [.failed, .dead, .cancelled, .pruned].contains(s) else {
                throw ValidationError("--state: '\(name)' is not a state that can be retried; allowed: failed, dead, cancelled, pruned")
            }
            return s
        }
    }

    func validate() throws { _ = try states() }

    func run() async throws {
        let ids = try await client.client().retry(states: try states(), sweep: sweep)
        print("re-queued \(ids.count) job(s)" + (ids.isEmpty ? "" : ": " + ids.map(String.init).joined(separator: " ")))
    }
}
