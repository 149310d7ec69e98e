import FATNNJobs
import Foundation

/// The per-job page: config, state, attempts, training curves.
enum JobPage {
    static func render(_ d: API.JobDetail) -> String {
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
        return HTML.page(title: "Job \(r.id)", body: s)
    }
}

/// The Pareto section of the leaderboard: test accuracy against packed latency per config,
/// with error bars over seeds. Configs without a packed latency (float models) are listed.
enum ParetoSection {
    static func render(_ t: QueryTable) -> String {
        func col(_ name: String) -> Int? { t.columns.firstIndex(of: name) }
        guard let acc = col("test_acc_mean"), let std = col("test_acc_std"), let lat = col("packed_latency_ms_mean") else { return "" }
        var points: [SVGPlot.Point] = [], without: [String] = []
        for row in t.rows {
            let label = ["model", "quantizer", "dataset", "lr", "epochs"].compactMap { col($0) }.map { QueryTable.human(row[$0], column: "") }.joined(separator: " ")
            guard case .number(let a) = row[acc] else { continue }
            let e: Double = { if case .number(let s) = row[std] { return s } else { return 0 } }()
            if case .number(let x) = row[lat] { points.append(.init(label: label + String(format: ": %.2f%% ± %.2f", a * 100, e * 100), x: x, y: a * 100, yError: e * 100)) }
            else { without.append(label) }
        }
        var s = SVGPlot.pareto(points, id: "pareto", xLabel: "packed latency, batch 1 (ms)", yLabel: "test accuracy (%)")
        if !without.isEmpty {
            s += "<p class=\"muted\" id=\"no-latency\">Without a packed latency (not packed: float or other quantizers): \(without.map(HTML.escape).joined(separator: "; "))</p>"
        }
        return s
    }
}
