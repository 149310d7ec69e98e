import ArgumentParser
import FATNNCommandLine
import Foundation

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write every job as JSON Lines: config, seed, hashes, state, attempts, and the result (metrics, host, CPU, code version).")

    @Option(name: .shortAndLong, help: ArgumentHelp("Output file (default: standard output).", valueName: "file"))
    var output: String?

    @Option(help: "Only jobs of this sweep.")
    var sweep: String?

    @OptionGroup var client: CoordinatorOptions

    func run() async throws {
        let data = try await client.client().export(sweep: sweep)
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: data) else {
                throw ValidationError("\(output): cannot write the file")
            }
            let lines = data.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            FileHandle.standardError.write(Data("wrote \(lines) job(s) to \(output)\n".utf8))
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
