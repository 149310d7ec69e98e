import FATNNJobs
import Foundation

/// A sweep's page: its progress (a bar per state and an estimate of the time left), every job's
/// validation curve on one plot (pruned jobs grey and cut where they stopped, ASHA's rungs
/// marked, each curve a link to its job) and, for a sampled sweep, the final validation accuracy
/// against each sampled field (log axes for log-uniform fields, the best job marked).
enum SweepPage {
    /// Jobs drawn at most; a larger sweep shows its first ones and says so.
    static let limit = 2000

    static let stateColors: [(JobState, String)] = [
        (.succeeded, "#393"), (.leased, "#36c"), (.queued, "#bbb"), (.pruned, "#888"), (.failed, "#c33"), (.dead, "#933"), (.cancelled, "#e80"),
    ]

    static func render(_ sw: API.ProgressReport.SweepCounts, curves c: JobCurves, refresh: Int?) -> String {
        let name = sw.name
        let sweep = c.document.flatMap { try? Sweep.parse(Data($0.utf8)) }
        var s = "<h1>Sweep \(HTML.escape(name))\(sw.paused ? " (paused)" : "")</h1>"
        if let d = sweep?.description { s += "<p>\(HTML.escape(d))</p>" }
        s += progressBar(sw.counts) + estimate(sw, prunes: sweep?.prunes ?? false)
        if c.truncated { s += "<p class=\"muted\" id=\"truncated\">Only the first \(limit) jobs are drawn.</p>" }
        // One ASHA rule for the whole sweep: its rungs are marked.
        let rules = Set((sweep?.pruning ?? []).map { $0?.json ?? "" })
        var rungs: [Double] = []
        if rules.count == 1, let rule = sweep?.pruning.first ?? nil, rule.method == .asha {
            let longest = c.jobs.map(\.epochs).max() ?? 0
            rungs = (1..<max(1, longest)).filter(rule.isRung).map(Double.init)
        }
        s += "<h2>Validation accuracy of every job</h2>"
        s += "<p class=\"muted\">Grey: pruned (stopped early)\(rungs.isEmpty ? "" : "; dashed lines: ASHA's rungs"). Click a curve for its job.</p>"
        let series = c.jobs.compactMap { j -> SVGPlot.Series? in
            let points = j.points.compactMap { p in p.valAcc.map { (Double(p.epoch), $0) } }
            guard !points.isEmpty else { return nil }
            let color = j.state == .pruned ? "#aaa" : (stateColors.first { $0.0 == j.state }?.1 ?? "#36c")
            return SVGPlot.Series(name: "job \(j.id) (\(j.state.rawValue))", color: color, points: points, link: "/ui/jobs/\(j.id)", thin: true)
        }
        // Pruned curves first, so that the others are drawn over them.
        s += SVGPlot.lines(series.sorted { $0.color == "#aaa" && $1.color != "#aaa" }, id: "sweep-curves",
                           x: PlotAxis(name: "epoch", format: .integer), y: PlotAxis(name: "validation accuracy", format: .percent),
                           markers: rungs, markerLabel: "rung")
        if let space = sweep?.sampleSpace, !space.isEmpty { s += scatter(c, space: space) }
        return HTML.page(title: "Sweep \(name)", body: s, refresh: refresh)
    }

    /// A bar per state, proportional to its jobs, with the counts.
    static func progressBar(_ counts: [String: Int]) -> String {
        let total = max(1, counts.values.reduce(0, +))
        var s = "<div id=\"progress-bar\" style=\"display:flex;width:640px;height:18px;border:1px solid #444\">"
        var legend: [String] = []
        for (state, color) in stateColors {
            let n = counts[state.rawValue] ?? 0
            legend.append("<span style=\"color:\(color)\">■</span> \(state == .leased ? "running" : state.rawValue) <span class=\"count\" data-state=\"\(state.rawValue)\">\(n)</span>")
            guard n > 0 else { continue }
            s += "<div title=\"\(state.rawValue): \(n)\" style=\"width:\(String(format: "%.2f", 100 * Double(n) / Double(total)))%;background:\(color)\"></div>"
        }
        return s + "</div><p id=\"progress-legend\">\(legend.joined(separator: " · ")) · total \(counts.values.reduce(0, +))</p>"
    }

    /// Time left: the sweep's remaining epochs at its running jobs' pace
    /// (``API/ProgressReport/SweepCounts/secondsLeft``, the numbers `fatnn-coord status --watch` prints).
    static func estimate(_ sw: API.ProgressReport.SweepCounts, prunes: Bool) -> String {
        guard let remaining = sw.remainingEpochs else { return "" }
        if remaining == 0 { return "<p id=\"estimate\">Nothing left to run.</p>" }
        guard let left = sw.secondsLeft, let pace = sw.secondsPerEpoch else {
            return "<p class=\"muted\" id=\"estimate\">\(remaining) epochs to run; no estimate of the time left until a running job reports an epoch.</p>"
        }
        let running = sw.counts[JobState.leased.rawValue] ?? 0
        return "<p id=\"estimate\">About \(API.ProgressReport.SweepCounts.duration(left)) left: \(remaining) epochs to run at \(String(format: "%.1f", pace)) s each (running jobs so far) on \(max(1, running)) running job(s)"
            + (prunes ? "; an upper bound, since early stopping will cut some jobs short.</p>" : ".</p>")
    }

    /// Final validation accuracy of each finished job against each sampled field.
    static func scatter(_ c: JobCurves, space: [String: SweepSample.Distribution]) -> String {
        let finished = c.jobs.filter { $0.state == .succeeded }.compactMap { j -> (JobCurves.Job, Double)? in
            guard let acc = j.points.last?.valAcc else { return nil }
            return (j, acc)
        }
        var s = "<h2>Final validation accuracy against each sampled field</h2>"
        guard let best = finished.max(by: { $0.1 < $1.1 }) else { return s + "<p class=\"muted\" id=\"no-scatter\">No job has finished yet.</p>" }
        s += "<p class=\"muted\">Succeeded jobs; the best (job \(best.0.id), \(String(format: "%.2f%%", best.1 * 100))) in orange.</p>"
        for key in space.keys.sorted() {
            let path = key.split(separator: ".").map(String.init)[...]
            let points = finished.compactMap { (j, acc) -> SVGPlot.Point? in
                let config = (try? JSONDecoder().decode(JSONValue.self, from: Data(j.config.canonicalJSON.utf8)))
                guard case .number(let x)? = config?.value(at: path) else { return nil }
                return SVGPlot.Point(label: "job \(j.id): \(key) \(x), \(String(format: "%.2f%%", acc * 100))", x: x, y: acc, yError: 0,
                                     link: "/ui/jobs/\(j.id)", highlighted: j.id == best.0.id)
            }
            guard !points.isEmpty else { continue }
            let id = "scatter-" + key.replacingOccurrences(of: ".", with: "-")
            s += "<h3>\(HTML.escape(key))</h3>"
            s += SVGPlot.scatter(points, id: id, x: PlotAxis(name: key, log: space[key]?.isLog ?? false),
                                 y: PlotAxis(name: "final validation accuracy", format: .percent))
        }
        return s
    }
}
