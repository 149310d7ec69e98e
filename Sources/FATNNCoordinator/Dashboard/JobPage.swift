import FATNNJobs
import Foundation

/// The per-job page: config, state, attempts, training curves.
enum JobPage {
    /// The page of job `d`; `refresh` makes the browser reload it every that many seconds.
    static func render(_ d: API.JobDetail, refresh: Int? = nil) -> String {
        let r = d.row
        var s = "<h1>Job \(r.id): <span id=\"state\">\(HTML.escape(r.state.rawValue))</span></h1>"
        s += "<p>\(HTML.escape("\(r.model) \(r.quantizer) on \(r.dataset) (\(r.split)), lr \(r.learningRate), seed \(r.seed), replica \(d.replica), sweep \(r.sweep)"))</p>"
        if let acc = r.testAccuracy { s += "<p id=\"test-accuracy\">Test accuracy \(String(format: "%.2f%%", acc * 100))</p>" }
        if let e = d.error { s += "<p class=\"error\">\(HTML.escape(e))</p>" }
        if let v = d.result?.codeVersion { s += "<p class=\"muted\">code \(HTML.escape(v.commit))\(v.dirty ? " (dirty)" : ""), host \(HTML.escape(d.result?.host ?? "")), CPU \(HTML.escape(d.result?.cpu ?? "-"))</p>" }
        s += "<h2>Training curves</h2>"
        let epoch = PlotAxis(name: "epoch", format: .integer)
        s += SVGPlot.lines([
            .init(name: "train accuracy", color: "#36c", points: d.epochs.map { (Double($0.epoch), $0.trainAccuracy) }),
            .init(name: "validation accuracy", color: "#393", points: d.epochs.compactMap { e in e.validationAccuracy.map { (Double(e.epoch), $0) } }),
        ], id: "curves", x: epoch, y: PlotAxis(name: "accuracy", format: .percent))
        s += SVGPlot.lines([.init(name: "train loss", color: "#c33", points: d.epochs.map { (Double($0.epoch), $0.trainLoss) })],
                           id: "loss", x: epoch, y: PlotAxis(name: "train loss"))
        s += "<p><a id=\"sweep-link\" href=\"/ui/sweeps/\(HTML.query(r.sweep))\">all jobs of sweep \(HTML.escape(r.sweep))</a> · "
        s += "<a id=\"group-link\" href=\"/ui/jobs/\(r.id)/group\">this config over its seeds</a></p>"
        s += "<h2>Attempts</h2><table id=\"attempts\"><thead><tr><th>#</th><th>outcome</th><th>worker</th><th>host</th><th>token</th><th>seconds</th><th>error</th></tr></thead><tbody>"
        for a in d.attempts {
            s += "<tr><td>\(a.attempt)</td><td>\(HTML.escape(a.outcome.rawValue))</td><td>\(HTML.escape(a.worker))</td><td>\(HTML.escape(a.host))</td>"
            s += "<td>\(HTML.escape(a.identity ?? "-"))\(a.resultIdentity.map { $0 == a.identity ? "" : " (result: \(HTML.escape($0)))" } ?? "")</td>"
            s += "<td class=\"num\">\(a.endedAt.map { String(format: "%.1f", $0 - a.startedAt) } ?? "running")</td><td>\(HTML.escape(a.error ?? ""))</td></tr>"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let config = (try? encoder.encode(d.config)).map { String(decoding: $0, as: UTF8.self) } ?? d.config.canonicalJSON
        s += "</tbody></table><h2>Config</h2><pre id=\"config\">\(HTML.escape(config))</pre>"
        return HTML.page(title: "Job \(r.id)", body: s, refresh: refresh)
    }
}
