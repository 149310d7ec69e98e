import FATNNJobs
import Foundation

extension CodeVersion {
    /// The version of the source this worker was built from: `FATNN_CODE_COMMIT` (and
    /// `FATNN_CODE_DIRTY=1`) when set, else asked of git in the source tree the binary was
    /// compiled from (when it is still there), else `unknown`.
    static let current: CodeVersion = {
        let env = ProcessInfo.processInfo.environment
        if let commit = env["FATNN_CODE_COMMIT"], !commit.isEmpty {
            return CodeVersion(commit: String(commit.prefix(100)), dirty: env["FATNN_CODE_DIRTY"] == "1")
        }
        let sourceDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        guard let head = git(["rev-parse", "HEAD"], in: sourceDir), head.count == 40 else {
            return CodeVersion(commit: "unknown", dirty: false)
        }
        let status = git(["status", "--porcelain", "--untracked-files=no"], in: sourceDir) ?? ""
        return CodeVersion(commit: head, dirty: !status.isEmpty)
    }()

    private static func git(_ args: [String], in dir: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        p.arguments = ["-C", dir] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
