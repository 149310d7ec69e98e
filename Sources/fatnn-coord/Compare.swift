import ArgumentParser
import FATNNCommandLine
import FATNNJobs
import Foundation

struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Paired comparison: each value of a config key against a baseline value, over configs that differ only in that key.",
        discussion: """
            Pairs succeeded jobs whose canonical configs are equal once the compared key is \
            removed: the same model, data split, training recipe, seed and everything else. A \
            fine-tuned job's parent counts by its config (initFrom is the parent's config hash), \
            so fine-tunes of the same parent pair up. --by quantizer removes the whole quantizer \
            (kind and parameters) and labels each side by its kind; a kind that appears with \
            several parameter sets is shown as kind{param=value,...}.

            For each value other than the baseline it prints n (pairs), the mean paired difference \
            of the metric (value - baseline), its 95% confidence interval (Student t with n - 1 \
            degrees of freedom over the pairs) and the sample std of the differences. Several jobs \
            on one side of a pair (replicas from submit --replicate) are averaged first, so each \
            pair counts once. With one pair the interval is n/a (no spread to estimate it from); \
            n = 0 means no job of that value matches a baseline job in everything else.

            Keys: \(ComparisonKey.allowed.joined(separator: ", ")) (quantizer.kind means quantizer; \
            dataset means dataset.name; lr and epochs mean training.learningRate and training.epochs). \
            Metrics: test_acc (default), val_acc, test_loss, train_loss, train_seconds, images_per_s, \
            packed_img_s, packed_latency_ms, packed_exact, gbops. --where takes the filter of \
            'results' and picks the jobs before they are paired. Accuracy differences are shown \
            in percentage points (fractions in csv, jsonl and json).

              fatnn-coord compare --by quantizer --baseline tnn
              fatnn-coord compare --by lr --baseline 0.1 --metric val_acc --where "quantizer = fatnn"
            """)

    @Option(help: ArgumentHelp("The config key to compare (quantizer, model, lr, training.momentum, …).", valueName: "key"))
    var by: String

    @Option(help: ArgumentHelp("The value of the key to compare with, e.g. tnn.", valueName: "value"))
    var baseline: String

    @Option(help: "The metric compared.")
    var metric: String = "test_acc"

    @Option(name: .customLong("where"), help: ArgumentHelp("Filter, as for 'results'.", valueName: "expr"))
    var filter: String = ""

    @Option(help: "Only jobs of this sweep.")
    var sweep: String?

    @Option(help: ArgumentHelp("Keys, comma-separated, in which a pair's jobs may also differ: each kind at its own tuned learning rate with 'lr'.",
                               valueName: "keys"))
    var ignore: String?

    @Option(help: ArgumentHelp("Output: \(TableFormat.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "format"))
    var format: String = "table"

    @OptionGroup var client: CoordinatorOptions

    func validate() throws {
        guard TableFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be one of \(TableFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(format)'")
        }
        do { _ = try ComparisonKey(by) } catch { throw ValidationError("--by: \(error.message)") }
        for name in (ignore ?? "").split(separator: ",") {
            do { _ = try ComparisonKey(name.trimmingCharacters(in: .whitespaces)) } catch { throw ValidationError("--ignore: \(error.message)") }
        }
        guard !baseline.isEmpty else { throw ValidationError("--baseline: give the value of \(by) to compare with") }
        if !filter.isEmpty {
            do { _ = try WhereExpression.parse(filter) } catch { throw ValidationError("--where: \(error)") }
        }
    }

    func run() async throws {
        guard let format = TableFormat(rawValue: format) else { throw ValidationError("--format: unknown format '\(self.format)'") }
        let ignoring = (ignore ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let q = CompareQuery(by: by, baseline: baseline, metric: metric, filter: filter, sweep: sweep, ignoring: ignoring)
        print(try await client.client().compare(q).render(format), terminator: "")
    }
}
