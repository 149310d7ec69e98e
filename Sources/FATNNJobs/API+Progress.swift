import Foundation

extension API.ProgressReport.SweepCounts {
    /// The sweep's line in `fatnn-coord status --watch`: counts, a 30-character bar (`#`
    /// succeeded, `>` running, `-` pruned, `x` failed, dead or cancelled, `.` queued) and the time left.
    public var statusLine: String {
        let n = { (state: JobState) in counts[state.rawValue] ?? 0 }
        let total = max(1, counts.values.reduce(0, +))
        let parts: [(Character, Int)] = [("#", n(.succeeded)), (">", n(.leased)), ("-", n(.pruned)),
                                         ("x", n(.failed) + n(.dead) + n(.cancelled)), (".", n(.queued))]
        var bar = ""
        for (c, k) in parts { bar += String(repeating: c, count: Int((30 * Double(k) / Double(total)).rounded())) }
        bar = String(bar.prefix(30)).padding(toLength: 30, withPad: ".", startingAt: 0)
        let left: String
        if remainingEpochs == 0 { left = "done" } else if let t = secondsLeft {
            left = "about \(Self.duration(t)) left (\(remainingEpochs ?? 0) epochs)"
        } else { left = "\(remainingEpochs ?? 0) epochs left, no pace yet" }
        return "\(name)\(paused ? " (paused)" : ""): [\(bar)] succeeded \(n(.succeeded)) running \(n(.leased)) queued \(n(.queued)) "
            + "pruned \(n(.pruned)) failed \(n(.failed) + n(.dead)) cancelled \(n(.cancelled)); \(left)"
    }

    /// A time left as people say it: seconds below 90, minutes below 90, else hours.
    public static func duration(_ s: Double) -> String {
        s < 90 ? String(format: "%.0f s", s) : s < 5400 ? String(format: "%.0f min", s / 60) : String(format: "%.1f h", s / 3600)
    }
}
