import FATNNJobs
import Foundation
import Hummingbird

/// `/ui/compare`: the paired comparison of `fatnn-coord compare` with a form to choose the key,
/// the baseline (from the values the jobs have), the metric and a filter.
enum ComparePage {
    /// Keys offered in the form (any other allowed key still works in the URL).
    static let keys = ["quantizer", "model", "lr", "epochs", "dataset"]
    static let metrics = ["test_acc", "val_acc", "test_loss", "train_loss", "train_seconds"]

    static func response(_ request: Request, store: any JobQueueStore) async throws -> Response {
        let p = request.uri.queryParameters
        let by = p.get("by") ?? "quantizer", metric = p.get("metric") ?? "test_acc", filter = p.get("where") ?? ""
        let baseline = p.get("baseline") ?? ""
        let ignoring = (p.get("ignore") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var q = CompareQuery(by: by, baseline: baseline, metric: metric, filter: filter, ignoring: ignoring)
        var comparison: PairedComparison?
        var errors: [String] = []
        do { comparison = try await store.compare(q) } catch let e as QueryError {
            errors.append(e.description)
            // A baseline left over from another key: show the comparison against the first value.
            if !baseline.isEmpty {
                q.baseline = ""
                comparison = try? await store.compare(q)
            }
        }
        return DashboardRoutes.html(HTML.page(title: "Paired comparison", body: render(q, comparison, errors: errors)))
    }

    /// The comparison's rows: the value, then numbers (right-aligned).
    static func table(_ t: QueryTable) -> String {
        var s = "<table id=\"comparison\"><thead><tr>" + t.columns.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in t.rows {
            s += "<tr>" + row.enumerated().map { i, v in
                let text = HTML.escape(QueryTable.human(v, column: t.columns[i]))
                return i == 0 ? "<td>\(text)</td>" : "<td class=\"num\">\(text)</td>"
            }.joined() + "</tr>"
        }
        return s + "</tbody></table>" + (t.rows.isEmpty ? "<p class=\"muted\">No value but the baseline.</p>" : "")
    }

    static func render(_ q: CompareQuery, _ c: PairedComparison?, errors: [String]) -> String {
        func options(_ values: [String], selected: String) -> String {
            values.map { "<option value=\"\(HTML.escape($0))\"\($0 == selected ? " selected" : "")>\(HTML.escape($0))</option>" }.joined()
        }
        let keys = keys.contains(q.by) ? keys : keys + [q.by]
        let metrics = metrics.contains(q.metric) ? metrics : metrics + [q.metric]
        var body = "<h1>Paired comparison</h1>"
        body += """
            <form method="get" action="/ui/compare" id="compare">
            <p><label>key <select name="by">\(options(keys, selected: q.by))</select></label>
            <label>baseline <select name="baseline">\(options(c?.values ?? [], selected: c?.baseline ?? ""))</select></label>
            <label>metric <select name="metric">\(options(metrics, selected: q.metric))</select></label></p>
            <p><input type="text" name="where" value="\(HTML.escape(q.filter))" placeholder="model = resnet20 and epochs = 15">
            <label>may also differ in <input type="text" name="ignore" value="\(HTML.escape(q.ignoring.joined(separator: ",")))" placeholder="lr"></label>
            <button type="submit">Compare</button></p></form>
            """
        body += errors.map { "<p class=\"error\" id=\"compare-error\">\(HTML.escape($0))</p>" }.joined()
        guard let c else { return body }
        body += "<p class=\"muted\">\(HTML.escape(c.metric)): value − baseline (\(HTML.escape(c.baseline))) over configs that differ "
            + "only in \(HTML.escape(c.key))\((c.ignoring ?? []).isEmpty ? "" : " (and may differ in \(HTML.escape((c.ignoring ?? []).joined(separator: ", "))))"), \(c.jobs) succeeded jobs; replicas averaged first; 95% CI: Student t over the pairs"
            + "\(c.isAccuracy ? "; differences in percentage points" : "").</p>"
        body += table(c.humanTable)
        if c.rows.contains(where: { $0.pairs < 2 }) {
            body += "<p class=\"muted\">n/a: one pair gives no spread to estimate an interval from. n = 0: no job of that value "
                + "matches a baseline job in everything else.</p>"
        }
        return body
    }
}
