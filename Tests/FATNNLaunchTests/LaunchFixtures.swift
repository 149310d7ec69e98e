import FATNNLaunch
import Foundation

/// A temporary folder with a worker token file of the given mode.
struct TokenFolder {
    let dir: String
    let tokenFile: String
    let token = String(repeating: "ab12", count: 16)

    init(mode: mode_t = 0o600) throws {
        dir = NSTemporaryDirectory() + "fatnn-launch-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        tokenFile = dir + "/worker.token"
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, mode)
    }

    func launch(_ coordinator: String = "http://coord.example:8470", extra: [String] = []) -> WorkerLaunch {
        WorkerLaunch(coordinator: coordinator, tokenFile: tokenFile, workerArguments: extra)
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}
