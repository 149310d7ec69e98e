import ArgumentParser
import FATNNJobs
import Foundation

struct Results: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the leaderboard: one row per job, best test accuracy first.",
        discussion: "Accuracies are on the dataset's official test set and on the validation holdout of the training set.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let rows = try await client.client().leaderboard()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            print(LeaderboardTable.render(rows))
        }
    }
}
