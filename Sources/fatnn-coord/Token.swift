import ArgumentParser
import FATNNClient
import FATNNCommandLine
import FATNNJobs
import Foundation

/// `fatnn-coord token …`: named bearer tokens, one per worker (or person).
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke named bearer tokens (admin token).",
        discussion: """
            Each worker host can get a token of its own, so that one can be revoked without touching \
            the others, and every attempt and result records which token claimed and reported it \
            ('fatnn-coord job ID' shows it). The coordinator keeps only each token's SHA-256. The two \
            token files keep working as the identities 'admin' and 'worker'.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token; its value is printed once (or written to --output).")

        @Argument(help: "Name: 1-64 letters, digits, '.', '_' or '-' (e.g. the worker's host name).")
        var name: String

        @Option(help: "worker (claim and report jobs, read) or admin (everything).")
        var role: API.TokenRole = .worker

        @Option(help: ArgumentHelp("Write the token to this file (mode 0600, never over an existing file) instead of printing it.", valueName: "file"))
        var output: String?

        @OptionGroup var client: CoordinatorOptions

        func run() async throws {
            // The file first: a token created but not written would be lost (and its name taken).
            var fd: Int32 = -1
            if let output {
                fd = open(output, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard fd >= 0 else { throw ValidationError("\(output): cannot create (it may exist): \(String(cString: strerror(errno)))") }
            }
            defer { if fd >= 0 { close(fd) } }
            let r: API.CreateTokenResponse
            do { r = try await client.client().createToken(name: name, role: role) } catch {
                if let output { unlink(output) }
                throw error
            }
            if let output {
                let line = Array((r.token + "\n").utf8)
                guard write(fd, line, line.count) == line.count else { throw ValidationError("\(output): cannot write") }
                print("token '\(r.name)' (\(r.role.rawValue)) written to \(output); give it to the worker as --token-file")
            } else {
                print(r.token)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the token identities and whether they are revoked.")

        @OptionGroup var client: CoordinatorOptions

        func run() async throws {
            let f = ISO8601DateFormatter()
            print("name\trole\tcreated\trevoked")
            for t in try await client.client().tokens() {
                let created = t.createdAt == 0 ? "(token file)" : f.string(from: Date(timeIntervalSince1970: t.createdAt))
                print("\(t.name)\t\(t.role.rawValue)\t\(created)\t\(t.revokedAt.map { f.string(from: Date(timeIntervalSince1970: $0)) } ?? "-")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: refused from now on; the jobs it holds go back to the queue.")

        @Argument(help: "The token's name.")
        var name: String

        @OptionGroup var client: CoordinatorOptions

        func run() async throws {
            let r = try await client.client().revokeToken(name: name)
            print("token '\(r.name)' revoked; \(r.releasedJobs.count) running job(s) given back" +
                  (r.releasedJobs.isEmpty ? "" : ": " + r.releasedJobs.map(String.init).joined(separator: ", ")))
        }
    }
}

extension API.TokenRole: ExpressibleByArgument {}
