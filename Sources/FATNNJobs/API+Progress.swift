import Foundation

extension API.ProgressReport.SweepCounts {
    /// The sweep's line in `fatnn-coord status --watch`: counts, a 30-character bar (`#`
    /// succeeded, `>` running, `-` pruned, `x` failed, dead or cancelled, `.` queued) and the time left.
    public var statusLine: String {
        let s = self
        let n = { (state: JobState) in s.counts[state.rawValue] ?? 0 }
        let total = max(1, s.counts.values.reduce(0, +))
        let parts: [(Character, Int)] = [("#", n(.succeeded)), (">", n(.leased)), ("-", n(.pruned)),
                                         ("x", n(.failed) + n(.dead) + n(.cancelled)), (".", n(.queued))]
        var bar = ""
        for (c, k) in parts { bar += String(repeating: c, count: Int((30 * Double(k) / Double(total)).rounded())) }
        bar = String(bar.prefix(30)).padding(toLength: 30, withPad: ".", startingAt: 0)
        let left: String
        if let r = s.remainingEpochs, r == 0 { left = "done" } else if let t = s.secondsLeft {
            left = "about " + (t < 90 ? String(format: "%.0f s", t) : t < 5400 ? String(format: "%.0f min", t / 60) : String(format: "%.1f h", t / 3600))
                + " left (\(s.remainingEpochs ?? 0) epochs)"
        } else { left = "\(s.remainingEpochs ?? 0) epochs left, no pace yet" }
        return "\(s.name)\(s.paused ? " (paused)" : ""): [\(bar)] succeeded \(n(.succeeded)) running \(n(.leased)) queued \(n(.queued)) "
            + "pruned \(n(.pruned)) failed \(n(.failed) + n(.dead)) cancelled \(n(.cancelled)); \(left)"
    }
}
