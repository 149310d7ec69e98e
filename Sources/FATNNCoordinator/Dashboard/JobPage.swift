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
        s += SVGPlot.lines([
            .init(name: "train loss", color: "#c33", points: d.epochs.map { (Double($0.epoch), $0.trainLoss) }),
            .init(name: "train accuracy", color: "#36c", points: d.epochs.map { (Double($0.epoch), $0.trainAccuracy) }),
            .init(name: "validation accuracy", color: "#393", points: d.epochs.compactMap { e in e.validationAccuracy.map { (Double(e.epoch), $0) } }),
        ], id: "curves", xLabel: "epoch", yLabel: "loss / accuracy")
        s += "<h2>Attempts</h2><table id=\"attempts\"><thead><tr><th>#</th><th>outcome</th><th>worker</th><th>host</th><th>seconds</th><th>error</th></tr></thead><tbody>"
        for a in d.attempts {
            s += "<tr><td>\(a.attempt)</td><td>\(HTML.escape(a.outcome.rawValue))</td><td>\(HTML.escape(a.worker))</td><td>\(HTML.escape(a.host))</td>"
            s += "<td class=\"num\">\(a.endedAt.map { String(format: "%.1f", $0 - a.startedAt) } ?? "running")</td><td>\(HTML.escape(a.error ?? ""))</td></tr>"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let config = (try? encoder.encode(d.config)).map { String(decoding: $0, as: UTF8.self) } ?? d.config.canonicalJSON
        s += "</tbody></table><h2>Config</h2><pre id=\"config\">\(HTML.escape(config))</pre>"
        return HTML.page(title: "Job \(r.id)", body: s, refresh: refresh)
    }
}

/// The Pareto section of the leaderboard: test accuracy against measured packed latency per
/// config, with error bars over seeds; when some config has no packed latency (float models,
/// quantizers without a packed kernel), against bit-operations instead, for every config.
enum ParetoSection {
    /// The grouped columns the plot reads.
    static let columns = ["model", "quantizer", "dataset", "lr", "epochs", "test_acc_mean", "test_acc_std",
                          "packed_latency_ms_mean", "gbops_mean"]

    static func render(_ t: QueryTable) -> String {
        func col(_ name: String) -> Int? { t.columns.firstIndex(of: name) }
        guard let acc = col("test_acc_mean"), let std = col("test_acc_std"), let lat = col("packed_latency_ms_mean"),
              let bops = col("gbops_mean") else { return "" }
        func number(_ v: JSONValue) -> Double? { if case .number(let x) = v { return x } else { return nil } }
        let rows = t.rows.filter { number($0[acc]) != nil }
        let byLatency = !rows.isEmpty && rows.allSatisfy { number($0[lat]) != nil }
        let axis = byLatency ? lat : bops
        var points: [SVGPlot.Point] = [], without: [String] = []
        for row in rows {
            let label = ["model", "quantizer", "dataset", "lr", "epochs"].compactMap { col($0) }.map { QueryTable.human(row[$0], column: "") }.joined(separator: " ")
            let a = number(row[acc])!, e = number(row[std]) ?? 0
            if let x = number(row[axis]) { points.append(.init(label: label + String(format: ": %.2f%% ± %.2f", a * 100, e * 100), x: x, y: a * 100, yError: e * 100)) }
            else { without.append(label) }
        }
        var s = byLatency ? "<h2 id=\"pareto-title\">Accuracy against packed latency</h2>"
                          : "<h2 id=\"pareto-title\">Accuracy against bit-operations</h2><p class=\"muted\">Not every config has a packed latency (only FATNN models are packed), so all are placed by bit-operations per image (MACs x weight bits x activation bits).</p>"
        s += SVGPlot.pareto(points, id: "pareto", xLabel: byLatency ? "packed latency, batch 1 (ms)" : "bit-operations per image (G)",
                            yLabel: "test accuracy (%)")
        if !without.isEmpty {
            s += "<p class=\"muted\" id=\"not-plotted\">Not plotted (no \(byLatency ? "packed latency" : "operation count")): \(without.map(HTML.escape).joined(separator: "; "))</p>"
        }
        return s
    }
}
