import ArgumentParser
import FATNNCertificates
import Foundation

/// `fatnn-coord tls …`: certificates for serving the coordinator over TLS.
struct TLS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "Certificates for serving the coordinator over https.",
        subcommands: [Init.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create a lab CA and a server certificate for the coordinator's host names and addresses.",
            discussion: """
                Writes DIR/ca.pem (the CA certificate: copy it to every worker and client host and pass \
                it as --ca-file), DIR/ca-key.pem (the CA's key, mode 0600: keep it, or delete it if no \
                more certificates will be signed), DIR/server.pem (the server certificate, then the CA) \
                and DIR/server-key.pem (mode 0600). Then run \
                'fatnn-coord serve --tls-cert DIR/server.pem --tls-key DIR/server-key.pem --host 0.0.0.0 …' \
                and give workers --coordinator https://HOST:PORT --ca-file ca.pem. HOST must be one of the \
                names or addresses given here. The server certificate is valid 397 days, the CA 10 \
                years; keys are P-256. Existing files are never overwritten.
                """)

        @Argument(help: ArgumentHelp("Folder to write the four files to (created if missing).", valueName: "dir"))
        var directory: String

        @Argument(help: ArgumentHelp("Host names and IP addresses workers reach the coordinator at (e.g. coord.lab 10.0.0.5 127.0.0.1).", valueName: "host"))
        var hosts: [String]

        func validate() throws {
            guard !hosts.isEmpty else { throw ValidationError("give at least one host name or IP address, e.g. 'fatnn-coord tls init certs coord.lab 10.0.0.5'") }
        }

        func run() throws {
            let paths = try LabCertificates.write(try LabCertificates.make(hosts: hosts), to: directory)
            print("wrote \(paths.joined(separator: ", ")) for \(hosts.joined(separator: ", "))")
        }
    }
}
