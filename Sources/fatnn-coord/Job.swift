import ArgumentParser
import FATNNCommandLine
import FATNNJobs
import Foundation

struct Job: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one job: its config, state, every attempt (worker, host, token identity, outcome, error) and its epochs.")

    @Argument(help: "Job id.")
    var id: Int64

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var client: CoordinatorOptions

    func run() async throws {
        let d = try await client.client().job(id)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(d), as: UTF8.self))
            return
        }
        let r = d.row
        print("job \(r.id) (sweep \(r.sweep)): \(r.state.rawValue)")
        print("  \(r.model) \(r.quantizer) on \(r.dataset) \(r.split), lr \(r.learningRate), seed \(r.seed), replica \(d.replica)")
        print("  config hash \(d.configHash)")
        if let e = d.error { print("  error: \(e)") }
        if let acc = r.testAccuracy { print(String(format: "  test accuracy %.2f%%", acc * 100)) }
        print("  attempts:")
        for a in d.attempts {
            let secs = a.endedAt.map { String(format: "%.1f s", $0 - a.startedAt) } ?? "running"
            let who = a.identity.map { ", token \($0)" + (a.resultIdentity.map { $0 == a.identity ? "" : ", result reported by token \($0)" } ?? "") } ?? ""
            print("    #\(a.attempt) \(a.outcome.rawValue) on \(a.worker) (\(a.host)\(who)), \(secs)\(a.error.map { ": \($0)" } ?? "")")
            if let r = a.invalidatedResult { print("      invalidated result: test accuracy \(String(format: "%.4f", r.testAccuracy))") }
        }
        for e in d.epochs {
            print(String(format: "  epoch %d: loss %.4f, train acc %.2f%%", e.epoch, e.trainLoss, e.trainAccuracy * 100)
                  + (e.validationAccuracy.map { String(format: ", val acc %.2f%%", $0 * 100) } ?? ""))
        }
    }
}
