import Foundation

/// A launcher input that cannot be used: which option, and why.
public struct LaunchError: Error, CustomStringConvertible, Equatable {
    /// The option (`--partition`) or file the problem is in.
    public let field: String
    public let reason: String
    public init(_ field: String, _ reason: String) { self.field = field; self.reason = reason }
    public var description: String { "\(field): \(reason)" }
}

/// What every launcher hands each worker: where the coordinators are, the worker token, the CA to
/// trust, and extra `fatnn-worker` options. The launcher itself sets the options that identify
/// and size a worker (``reservedWorkerOptions``).
public struct WorkerLaunch: Sendable, Equatable {
    /// Coordinator URL, or several comma-separated (coordinators of one PostgreSQL store).
    public var coordinator: String
    /// The worker token file (made absolute by ``checked()``).
    public var tokenFile: String
    /// PEM CA file for an https coordinator (made absolute by ``checked()``).
    public var caFile: String?
    /// Extra `fatnn-worker` options, passed through as given.
    public var workerArguments: [String]

    public init(coordinator: String, tokenFile: String, caFile: String? = nil, workerArguments: [String] = []) {
        self.coordinator = coordinator
        self.tokenFile = tokenFile
        self.caFile = caFile
        self.workerArguments = workerArguments
    }

    /// Options the launchers set themselves: given again after `--` they are refused.
    public static let reservedWorkerOptions: Set<String> = ["--coordinator", "--token", "--token-file", "--name", "--threads", "--exit-when-idle", "--once", "--ca-file"]

    /// The largest token file read (a token is 64 hex digits).
    static let maxTokenFileBytes = 4096

    /// These inputs checked, with paths made absolute; `token` is the token file's content.
    ///
    /// - Throws: ``LaunchError`` naming the option: a coordinator URL that is not http(s) with a
    ///   host, a token file that is missing, empty, too large or readable by other users (the
    ///   token must never be readable by anyone but its owner), a missing CA file, or a reserved
    ///   or unsafe worker option.
    public func checked() throws(LaunchError) -> (launch: WorkerLaunch, token: String) {
        var urls: [String] = []
        for part in coordinator.split(separator: ",", omittingEmptySubsequences: false) {
            let url = part.trimmingCharacters(in: .whitespaces)
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), let host = URL(string: url)?.host, !host.isEmpty,
                  !url.contains(where: { $0.isWhitespace || $0 == "'" || $0 == "\"" }) else {
                throw LaunchError("--coordinator", "'\(url)' is not an http:// or https:// URL with a host")
            }
            urls.append(url)
        }
        var out = self
        out.coordinator = urls.joined(separator: ",")
        out.tokenFile = Self.absolute(tokenFile)
        let token = try Self.readToken(out.tokenFile)
        if let caFile {
            out.caFile = Self.absolute(caFile)
            guard FileManager.default.isReadableFile(atPath: out.caFile ?? "") else { throw LaunchError("--ca-file", "\(caFile): no such readable file") }
        }
        for arg in workerArguments {
            let name = String(arg.split(separator: "=", maxSplits: 1).first ?? "")
            if Self.reservedWorkerOptions.contains(name) {
                throw LaunchError("worker option \(name)", "the launcher sets it (--coordinator, --token-file and --ca-file are the launcher's own options)")
            }
            guard !arg.contains(where: { $0.isNewline || $0 == "\0" }) else { throw LaunchError("worker option '\(arg)'", "contains a line break or NUL") }
        }
        return (out, token)
    }

    /// The token in `path`: a regular file of at most 4 KiB, not readable or writable by group or
    /// others, holding one non-empty line.
    static func readToken(_ path: String) throws(LaunchError) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw LaunchError("--token-file", "\(path): \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw LaunchError("--token-file", "\(path): not a regular file") }
        guard st.st_mode & 0o077 == 0 else {
            throw LaunchError("--token-file", "\(path) is readable or writable by other users (mode \(String(st.st_mode & 0o777, radix: 8))): run chmod 600 \(path)")
        }
        guard st.st_size <= maxTokenFileBytes else { throw LaunchError("--token-file", "\(path): \(st.st_size) bytes, more than a token file's \(maxTokenFileBytes)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw LaunchError("--token-file", "\(path): cannot read it") }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw LaunchError("--token-file", "\(path) is empty") }
        guard !token.contains(where: { $0.isNewline || $0.isWhitespace }), token.allSatisfy(\.isASCII) else {
            throw LaunchError("--token-file", "\(path): a token is one line of printable ASCII without spaces")
        }
        return token
    }

    /// `path` made absolute against the current directory (and standardized).
    public static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).standardized.path
    }

    /// Whether every coordinator URL names a loopback host (unreachable from other machines).
    public var onlyLoopback: Bool {
        coordinator.split(separator: ",").allSatisfy { part in
            let host = URL(string: String(part))?.host ?? ""
            return host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
        }
    }
}
