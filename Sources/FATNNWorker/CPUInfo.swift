import Foundation

/// The worker's CPU, as recorded with packed-inference figures.
enum CPUInfo {
    /// The CPU's model name (`/proc/cpuinfo` on Linux) and architecture, e.g. "AMD EPYC (x86_64)".
    static let modelName: String = {
        #if arch(x86_64)
        let arch = "x86_64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = "unknown"
        #endif
        let name = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") || $0.hasPrefix("Model") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
        return String("\(name ?? "unknown CPU") (\(arch))".prefix(255))
    }()
}
