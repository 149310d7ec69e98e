import ArgumentParser
import FATNNCommandLine
import FATNNJobs

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print how many jobs are in each state.")

    @OptionGroup var client: CoordinatorOptions

    func run() async throws {
        let counts = try await client.client().status().counts
        let total = counts.values.reduce(0, +)
        print(JobState.allCases.map { "\($0.rawValue) \(counts[$0.rawValue] ?? 0)" }.joined(separator: "  ") + "  total \(total)")
    }
}
