import FATNNJobs
import Foundation

/// The Pareto section of the leaderboard: test accuracy (mean, error bars over seeds) against
/// measured latency at batch 1 for every config that has one (packed networks of every quantized
/// kind, the float engine for `fp`; configs without a measurement are listed under the plot),
/// then, as a second plot, against bit-operations per image for every config.
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
        func plot(axis: Int, id: String, xLabel: String, missing: String) -> String {
            var points: [SVGPlot.Point] = [], without: [String] = []
            for row in rows {
                let label = ["model", "quantizer", "dataset", "lr", "epochs"].compactMap { col($0) }
                    .map { QueryTable.human(row[$0], column: "") }.joined(separator: " ")
                guard let a = number(row[acc]) else { continue }
                let e = number(row[std]) ?? 0
                if let x = number(row[axis]) {
                    points.append(.init(label: label + String(format: ": %.2f%% ± %.2f", a * 100, e * 100), x: x, y: a, yError: e))
                } else {
                    without.append(label)
                }
            }
            var s = SVGPlot.pareto(points, id: id, x: PlotAxis(name: xLabel), y: PlotAxis(name: "test accuracy", format: .percent))
            if !without.isEmpty {
                s += "<p class=\"muted\" id=\"\(id)-not-plotted\">Not plotted (no \(missing)): \(without.map(HTML.escape).joined(separator: "; "))</p>"
            }
            return s
        }
        var s = "<h2 id=\"pareto-title\">Accuracy against measured latency</h2>"
        s += "<p class=\"muted\">Latency of one image as the worker measured it: the packed network for quantized configs (on the worker's fastest kernel path; the leaderboard's packed_exact says whether it matched the trained network bit for bit), the float engine for fp.</p>"
        s += plot(axis: lat, id: "pareto", xLabel: "measured latency, batch 1 (ms)", missing: "measured latency")
        s += "<h2 id=\"pareto-bops-title\">Accuracy against bit-operations</h2>"
        s += "<p class=\"muted\">Counted, not measured: bit-operations per image (MACs x weight bits x activation bits).</p>"
        s += plot(axis: bops, id: "pareto-bops", xLabel: "bit-operations per image (G)", missing: "operation count")
        return s
    }
}
