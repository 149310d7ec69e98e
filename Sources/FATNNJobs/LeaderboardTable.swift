import Foundation

/// Renders leaderboard rows as an aligned text table.
public enum LeaderboardTable {
    /// The table, header first; accuracies in percent.
    public static func render(_ rows: [LeaderboardRow]) -> String {
        let header = ["id", "sweep", "model", "quantizer", "dataset", "split", "lr", "seed", "test acc", "val acc", "train s", "img/s", "packed img/s", "exact", "from", "state"]
        func pct(_ v: Double?) -> String { v.map { String(format: "%.2f%%", $0 * 100) } ?? "-" }
        let body = rows.map { r -> [String] in
            let state = r.state == .leased ? "running \(r.epoch ?? 0)/\(r.epochs)" : r.state.rawValue
            return ["\(r.id)", r.sweep, r.model, r.quantizer, r.dataset, r.split, "\(r.learningRate)", "\(r.seed)",
                    pct(r.testAccuracy), pct(r.validationAccuracy), r.trainSeconds.map { String(format: "%.1f", $0) } ?? "-",
                    r.imagesPerSecond.map { String(format: "%.0f", $0) } ?? "-",
                    r.packedImagesPerSecond.map { String(format: "%.0f", $0) } ?? "-",
                    r.packedExact.map { $0 ? "yes" : "NO" } ?? "-", r.parent.map { "\($0)" } ?? "-", state]
        }
        let all = [header] + body
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        let rightAligned: Set<Int> = [0, 6, 7, 8, 9, 10, 11, 12, 14]
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, s in
                let pad = String(repeating: " ", count: widths[c] - s.count)
                return rightAligned.contains(c) ? pad + s : s + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += body.map(line)
        if rows.isEmpty { out.append("(no jobs)") }
        return out.joined(separator: "\n")
    }
}
