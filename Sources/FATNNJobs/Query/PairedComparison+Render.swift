import Foundation

extension PairedComparison {
    /// Whether the metric is an accuracy (a fraction): differences are then shown in percentage points.
    public var isAccuracy: Bool { metric == "test_acc" || metric == "val_acc" }

    /// The data columns (csv, jsonl, json): raw numbers, accuracies as fractions.
    public var table: QueryTable {
        func num(_ x: Double?) -> JSONValue { x.map { $0.isFinite ? .number($0) : .null } ?? .null }
        return QueryTable(
            columns: [key, "baseline", "metric", "n", "mean_diff", "ci_low", "ci_high", "std_diff", "baseline_mean", "value_mean", "note"],
            rows: rows.map { r in
                [.string(r.value), .string(baseline), .string(metric), .number(Double(r.pairs)), num(r.meanDifference), num(r.ciLow),
                 num(r.ciHigh), num(r.stdDifference), num(r.baselineMean), num(r.valueMean), r.note.map(JSONValue.string) ?? .null]
            })
    }

    /// The table for people (table, markdown): differences signed, accuracy differences in
    /// percentage points, the interval as `[low, high]` or `n/a`.
    public var humanTable: QueryTable {
        let percent = String(format: "%.0f%%", confidence * 100)
        return QueryTable(
            columns: [key, "n", "\(baseline) mean", "value mean", "mean diff", "\(percent) CI", "std diff"],
            rows: rows.map { r in
                let ci = r.ciLow.flatMap { lo in r.ciHigh.map { "[\(diff(lo)), \(diff($0))]" } } ?? (r.pairs == 0 ? "-" : "n/a")
                return [.string(r.value), .string(String(r.pairs)), .string(level(r.baselineMean)), .string(level(r.valueMean)),
                        .string(r.meanDifference.map(diff) ?? "-"), .string(ci), .string(r.stdDifference.map(spread) ?? "-")]
            })
    }

    /// The comparison in `format`: the data formats give ``table``'s rows; table and markdown
    /// give ``humanTable`` between a title line and notes on units and missing intervals.
    public func render(_ format: TableFormat) -> String {
        switch format {
        case .csv, .jsonl, .json: return table.render(format)
        case .table, .markdown:
            let percent = String(format: "%.0f%%", confidence * 100)
            let also = (ignoring ?? []).isEmpty ? "" : " (and may differ in \((ignoring ?? []).joined(separator: ", ")))"
            var out = "\(metric): \(key) value − baseline (\(baseline)), paired over configs that differ only in \(key)\(also) "
                + "(\(jobs) succeeded jobs); \(percent) CI: Student t over the pairs\n"
            if format == .markdown { out += "\n" }
            out += humanTable.render(format)
            var notes: [String] = []
            if isAccuracy { notes.append("Differences are in percentage points.") }
            if rows.contains(where: { $0.pairs == 1 }) { notes.append("n/a: one pair gives no spread to estimate an interval from; run more seeds.") }
            if rows.contains(where: { $0.pairs == 0 }) {
                notes.append("n = 0: no job of that value matches a baseline job in everything but \(key) (check the filter, seeds and recipes).")
            }
            if !notes.isEmpty { out += (format == .markdown ? "\n" : "") + notes.joined(separator: "\n") + "\n" }
            return out
        }
    }

    func diff(_ x: Double) -> String { isAccuracy ? String(format: "%+.2f", x * 100) : String(format: "%+.4g", x) }
    func spread(_ x: Double) -> String { isAccuracy ? String(format: "%.2f", x * 100) : String(format: "%.4g", x) }
    func level(_ x: Double?) -> String {
        guard let x else { return "-" }
        return isAccuracy ? String(format: "%.2f%%", x * 100) : String(format: "%.4g", x)
    }
}
