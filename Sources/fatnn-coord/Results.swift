import ArgumentParser
import FATNNCommandLine
import FATNNJobs
import Foundation

struct Results: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Query the leaderboard: filter, sort, group over seeds, and print as a table, CSV, JSON Lines, JSON or Markdown.",
        discussion: """
            By default one row per config minus seed (a group): n finished jobs and the mean, \
            sample std, min and max of each metric (columns METRIC_mean, _std, _min, _max), best \
            mean test accuracy first. --no-group gives one row per job.

            --where takes comparisons (=, !=, <, <=, >, >=, in (…)) joined by and, or, not and \
            parentheses, e.g.
              --where "quantizer in (fatnn, tnn) and model = resnet20 and test_acc > 0.9"
            Fields: id, sweep, state, model, quantizer (quantizer.kind), dataset (dataset.name), \
            split, seed, lr (training.learningRate), epochs (training.epochs), replica, attempts, \
            priority, host, and the metrics test_acc, val_acc, test_loss, train_loss, \
            train_seconds, images_per_s, packed_img_s, packed_latency_ms, packed_exact, gbops (bit-operations \
            per image, billions); any other \
            config key path (training.momentum, quantizer.params.k) too. Accuracies are fractions \
            (0.9 = 90%). In grouped mode the filter picks the jobs before they are grouped.

            Accuracies are on the dataset's official test set and on the validation holdout of \
            the training set.

            Model selection: --select val_acc --by quantizer keeps, per quantizer kind, only the \
            config (group) with the highest mean validation accuracy, and shows its test accuracy \
            (mean, std, n) beside it, so the test set plays no part in the choice. --by takes \
            comma-separated group keys (model, quantizer, dataset, split, lr, epochs): one row per \
            combination of their values. --select METRIC:asc picks the lowest mean instead (for a \
            loss). Ties go to the config with more finished jobs, then to the lower group hash; \
            configs without the metric are left out. --where filters the jobs first; --sort and \
            --limit apply to the picked rows.
            """)

    @Option(name: .customLong("where"), help: ArgumentHelp("Filter (see above).", valueName: "expr"))
    var filter: String = ""

    @Option(help: ArgumentHelp("Sort column, optionally :asc or :desc (default test_acc:desc; grouped, a metric means its mean).", valueName: "column[:dir]"))
    var sort: String?

    @Option(help: ArgumentHelp("Comma-separated columns to show.", valueName: "list"))
    var columns: String?

    @Option(help: "At most this many rows.")
    var limit: Int = 1000

    @Option(help: "Only jobs of this sweep.")
    var sweep: String?

    @Option(help: ArgumentHelp("Per value of the --by keys, only the config with the best mean of this metric (desc: highest, the default; asc: lowest).",
                               valueName: "metric[:desc|asc]"))
    var select: String?

    @Option(help: ArgumentHelp("Comma-separated group keys for --select (model, quantizer, dataset, split, lr, epochs).", valueName: "keys"))
    var by: String?

    @Flag(inversion: .prefixedNo, help: "One row per config minus seed (default), or one per job.")
    var group = true

    @Option(help: ArgumentHelp("Output: \(TableFormat.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "format"))
    var format: String = "table"

    @Flag(help: "Every job as the leaderboard row documents of GET /api/jobs (JSON), as scripts/group_results.py reads.")
    var json = false

    @OptionGroup var client: CoordinatorOptions

    func validate() throws {
        guard TableFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be one of \(TableFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(format)'")
        }
        guard (1...LeaderboardQuery.maxLimit).contains(limit) else { throw ValidationError("--limit must be in 1...\(LeaderboardQuery.maxLimit)") }
        if !filter.isEmpty {
            do { _ = try WhereExpression.parse(filter) } catch { throw ValidationError("--where: \(error)") }
        }
        if select != nil && by == nil { throw ValidationError("--select needs --by: the group keys to pick the best config within, e.g. --by quantizer") }
        if by != nil && select == nil { throw ValidationError("--by needs --select: the metric to pick by, e.g. --select val_acc") }
        if select != nil && !group { throw ValidationError("--select picks among configs (groups over seeds); it cannot be combined with --no-group") }
        if let by, byKeys(by).isEmpty { throw ValidationError("--by: give at least one key (model, quantizer, dataset, split, lr, epochs)") }
    }

    func byKeys(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() async throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(try await client.client().leaderboard()), as: UTF8.self))
            return
        }
        let q = LeaderboardQuery(filter: filter, sort: sort, columns: columns?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                                 group: group, limit: limit, sweep: sweep, select: select, by: by.map(byKeys))
        print(try await client.client().query(q).render(TableFormat(rawValue: format)!), terminator: "")
    }
}
