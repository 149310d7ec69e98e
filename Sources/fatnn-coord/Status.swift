import ArgumentParser
import FATNNCommandLine
import FATNNJobs
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print how many jobs are in each state; with --watch, follow each sweep's progress.",
        discussion: """
            --watch prints, every --interval seconds, a line per sweep: its jobs per state, a bar \
            (succeeded #, running >, pruned -, failed/dead/cancelled x, queued .) and the time left \
            (the epochs still to run at the pace of its running jobs; an upper bound when early \
            stopping cuts jobs short). On a terminal it redraws in place; piped, it prints the lines \
            only when they change. Ends with Ctrl-C, or by itself once nothing is queued or running.
            """)

    @Flag(help: "Follow progress per sweep until nothing is queued or running.")
    var watch = false

    @Option(help: ArgumentHelp("Seconds between updates with --watch (1...3600).", valueName: "seconds"))
    var interval: Double = 2

    @OptionGroup var client: CoordinatorOptions

    func validate() throws {
        guard interval >= 1, interval <= 3600 else { throw ValidationError("--interval must be from 1 to 3600 seconds, got \(interval)") }
    }

    func run() async throws {
        let c = try client.client()
        guard watch else {
            let counts = try await c.status().counts
            let total = counts.values.reduce(0, +)
            print(JobState.allCases.map { "\($0.rawValue) \(counts[$0.rawValue] ?? 0)" }.joined(separator: "  ") + "  total \(total)")
            return
        }
        let terminal = isatty(STDOUT_FILENO) == 1
        var shown: [String] = []
        while true {
            let report = try await c.progress()
            let lines = report.sweeps.map(\.statusLine)
            var out = ""
            if terminal {
                // Up over the last drawing, then each line cleared and redrawn.
                if !shown.isEmpty { out += "\u{1B}[\(shown.count)A" }
                for l in lines { out += "\u{1B}[2K" + l + "\n" }
            } else {
                for l in lines where !shown.contains(l) { out += l + "\n" }
            }
            // Written at once and unbuffered, so that a pipe sees each update when it happens.
            FileHandle.standardOutput.write(Data(out.utf8))
            shown = lines
            let open = report.sweeps.contains { ($0.counts["queued"] ?? 0) + ($0.counts["leased"] ?? 0) > 0 }
            if !open { return }
            try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}
