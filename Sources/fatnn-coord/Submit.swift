import ArgumentParser
import FATNNCommandLine
import FATNNJobs
import Foundation

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a sweep file, expand it into jobs and store them.",
        discussion: """
            A sweep file is JSON (schema: Schemas/sweep.schema.json): a 'name', a 'base' job, a \
            'grid' of key paths to value lists, and 'seeds'. Every combination of grid values is run \
            with every seed. Jobs already stored (same config) are not added again.

            Fine-tuning: instead of 'grid', a sweep may declare 'stages', each with its own 'grid' \
            and a 'base' merged over the shared one. A stage with "from": "NAME" starts each of its \
            jobs from the trained model of the job in stage NAME with the same model, dataset split \
            and seed; the coordinator hands such a job out only after that job has succeeded and \
            uploaded its model, and fails it if that job fails.

            Search: a sweep (or a stage) may add 'sample': {"method": "random" | "sobol", "count": N, \
            "seed": S, "space": {KEY: {"uniform" | "logUniform" | "intUniform" | "choice": [...]}}}. \
            Its N points are drawn at submit from the seed alone (the same file always gives the \
            same jobs) and crossed with the grid and the seeds. 'pruning': {"method": "asha" | \
            "median", "metric": "val_acc", "minEpochs": 1, "reductionFactor": 3} stops jobs that \
            fall behind the others of their sweep and stage at the same epoch (state 'pruned'). \
            --dry-run prints every job with its sampled values. Examples: Jobs/.
            """)

    @Argument(help: ArgumentHelp("Sweep file (JSON).", valueName: "sweep.json"))
    var file: String

    @Option(help: "Add N copies of every job, even of configs already stored (deliberate replicates).")
    var replicate: Int = 0

    @Flag(help: "Validate and print the jobs without submitting them.")
    var dryRun = false

    @OptionGroup var client: CoordinatorOptions

    func validate() throws {
        guard (0...1000).contains(replicate) else { throw ValidationError("--replicate must be in 0...1000") }
    }

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SubmitError("\(file): cannot read the file")
        }
        let sweep: Sweep
        do { sweep = try Sweep.parse(data) } catch { throw SubmitError("\(file): \(error)") }
        if dryRun {
            for (i, job) in sweep.jobs.enumerated() {
                var notes: [String] = []
                if let stage = sweep.stage(of: i) { notes.append("stage \(stage)") }
                if sweep.sampled.indices.contains(i), !sweep.sampled[i].isEmpty { notes.append("sampled " + Sweep.describe(sweep.sampled[i])) }
                print(job.canonicalJSON + (notes.isEmpty ? "" : "  # " + notes.joined(separator: "; ")))
            }
            let pruned = sweep.pruning.compactMap { $0 }
            let rules = Set(pruned.map(\.json)).sorted().joined(separator: ", ")
            print("\(file): valid; \(sweep.jobs.count) job(s)" + (pruned.isEmpty ? "" : "; \(pruned.count) of them under pruning \(rules)"))
            return
        }
        let reply = try await client.client().submit(document: data, replicate: replicate)
        print("sweep '\(reply.name)' (id \(reply.sweepId)): \(reply.jobs) job(s), \(reply.added) added, \(reply.duplicates) already present"
              + (reply.added == 0 && replicate == 0 ? " (nothing new: every job is already stored; --replicate N adds copies)" : ""))
    }
}

struct SubmitError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
