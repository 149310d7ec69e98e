import FATNNJobs
import Foundation

/// Small HTML building blocks for the dashboard: escaping, the page frame, tables. Everything is
/// inline (CSS in the page, plots as SVG), so the dashboard works offline: no CDN, no fonts.
enum HTML {
    /// Escapes text for element content and attribute values.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Percent-encodes a query value.
    static func query(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A whole page. With `refresh` (seconds), the browser reloads it on its own, so progress and
    /// running jobs stay current without any script.
    static func page(title: String, body: String, refresh: Int? = nil) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) · FATNN</title>\(refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? "")
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
        nav a { margin-right: 1em; } h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
        table { border-collapse: collapse; margin: .5em 0; } th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left; }
        th a { color: inherit; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .error { color: #a00; white-space: pre; font-family: monospace; } input[type=text] { width: 40em; }
        .muted { color: #777; } svg { background: #fafafa; border: 1px solid #ddd; }
        </style></head><body>
        <nav><a href="/ui">Leaderboard</a><a href="/ui/compare">Compare</a><a href="/ui/progress">Progress</a><a href="/ui/logout">Log out</a></nav>
        \(body)
        </body></html>
        """
    }

    /// A query table; numeric cells right-aligned, accuracies as percentages; `link` makes the
    /// first column a link; `sortLink` makes each header a link.
    static func table(_ t: QueryTable, id: String, link: ((JSONValue) -> String?)? = nil, sortLink: ((String) -> String)? = nil) -> String {
        var s = "<table id=\"\(id)\"><thead><tr>"
        for c in t.columns {
            s += "<th data-column=\"\(escape(c))\">" + (sortLink.map { "<a href=\"\(escape($0(c)))\">\(escape(c))</a>" } ?? escape(c)) + "</th>"
        }
        s += "</tr></thead><tbody>"
        for row in t.rows {
            s += "<tr>"
            for (i, (c, v)) in zip(t.columns, row).enumerated() {
                let text = escape(QueryTable.human(v, column: c))
                let numeric: Bool = { if case .number = v { return true } else { return false } }()
                let cell = i == 0 ? (link?(v).map { "<a href=\"\(escape($0))\">\(text)</a>" } ?? text) : text
                s += numeric ? "<td class=\"num\">\(cell)</td>" : "<td>\(cell)</td>"
            }
            s += "</tr>"
        }
        return s + "</tbody></table>" + (t.rows.isEmpty ? "<p class=\"muted\">No rows.</p>" : "")
    }
}
