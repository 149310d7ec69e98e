import FATNNJobs
import Foundation

/// One config over its seeds: every seed's validation curve, and their mean ± standard
/// deviation per epoch as a line with a band (over the seeds that reached that epoch).
enum GroupPage {
    static func render(job id: Int64, curves c: JobCurves) -> String {
        let seeds = c.jobs.map { "seed \($0.config.seed)" }
        var s = "<h1>Job \(id)'s config over its seeds</h1>"
        if let first = c.jobs.first {
            let t = first.config.training
            s += "<p>\(HTML.escape("\(first.config.model.rawValue) \(first.config.quantizer.kind.rawValue) on \(first.config.dataset.name.rawValue), lr \(t.learningRate), weight decay \(t.weightDecay), momentum \(t.momentum), \(t.epochs) epochs; sweep \(first.sweep)"))</p>"
        }
        s += "<p id=\"seeds\">\(c.jobs.count) job(s): " + zip(c.jobs, seeds).map { j, name in
            "<a href=\"/ui/jobs/\(j.id)\">\(HTML.escape(name))</a> (\(j.state.rawValue))"
        }.joined(separator: ", ") + "</p>"
        var byEpoch: [Int: [Double]] = [:]
        for j in c.jobs { for p in j.points { if let v = p.valAcc { byEpoch[p.epoch, default: []].append(v) } } }
        let epochs = byEpoch.keys.sorted()
        let means = epochs.map { e in byEpoch[e]!.reduce(0, +) / Double(byEpoch[e]!.count) }
        let stds = zip(epochs, means).map { e, m -> Double in
            let v = byEpoch[e]!
            return v.count < 2 ? 0 : (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
        }
        var series = c.jobs.map { j in
            SVGPlot.Series(name: "job \(j.id)", color: j.state == .pruned ? "#aaa" : "#9ab",
                           points: j.points.compactMap { p in p.valAcc.map { (Double(p.epoch), $0) } }, link: "/ui/jobs/\(j.id)", thin: true)
        }
        if !epochs.isEmpty {
            series.append(SVGPlot.Series(name: "mean ± std over seeds", color: "#36c", points: zip(epochs, means).map { (Double($0), $1) },
                                         band: zip(means, stds).map { ($0 - $1, $0 + $1) }))
        }
        s += "<h2>Validation accuracy</h2>"
        s += SVGPlot.lines(series, id: "group-curves", x: PlotAxis(name: "epoch", format: .integer),
                           y: PlotAxis(name: "validation accuracy", format: .percent))
        return HTML.page(title: "Job \(id) over its seeds", body: s)
    }
}
