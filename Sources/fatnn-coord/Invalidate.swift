import ArgumentParser
import FATNNCommandLine

struct Invalidate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Refuse succeeded jobs' results and run them again (admin token).",
        discussion: """
            For a result found wrong after it was accepted (a broken host, a bad build): each job goes \
            back to the queue with fresh retry budgets, its result leaves the leaderboard and its model \
            is deleted; the old result is kept in the attempt history ('fatnn-coord job ID'). Jobs that \
            already fine-tuned from its model are not touched: invalidate them too if needed.
            """)

    @Argument(help: "Job ids.")
    var jobs: [Int64]

    @Option(help: "Why, kept with the old result.")
    var reason: String

    @OptionGroup var client: CoordinatorOptions

    func validate() throws {
        guard !jobs.isEmpty else { throw ValidationError("give at least one job id") }
        guard !reason.isEmpty && reason.count <= 1000 else { throw ValidationError("--reason must be 1-1000 characters") }
    }

    func run() async throws {
        try await client.client().invalidate(jobs: jobs, reason: reason)
        print("invalidated \(jobs.count) job(s); they are queued again")
    }
}
