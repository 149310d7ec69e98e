import Foundation

/// Output formats of `fatnn-coord results`.
public enum TableFormat: String, CaseIterable, Sendable {
    case table, csv, jsonl, json, markdown
}

extension QueryTable {
    /// The table in `format`. Data formats (csv, jsonl, json) keep raw values (accuracies as
    /// fractions); the human formats (table, markdown) show accuracies as percentages.
    public func render(_ format: TableFormat) -> String {
        switch format {
        case .csv:
            return ([columns.map(Self.csvField)] + rows.map { $0.map { Self.csvField(Self.raw($0)) } })
                .map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .jsonl:
            return rows.map { Self.json(object(for: $0)) + "\n" }.joined()
        case .json:
            return Self.json(.array(rows.map { object(for: $0) }), pretty: true) + "\n"
        case .markdown:
            let cells = rows.map { row in zip(columns, row).map { Self.human($1, column: $0).replacingOccurrences(of: "|", with: "\\|") } }
            return (["| " + columns.joined(separator: " | ") + " |", "|" + columns.map { _ in "---|" }.joined()]
                    + cells.map { "| " + $0.joined(separator: " | ") + " |" }).joined(separator: "\n") + "\n"
        case .table:
            let cells = rows.map { row in zip(columns, row).map { Self.human($1, column: $0) } }
            let widths = columns.indices.map { i in ([columns[i]] + cells.map { $0[i] }).map(\.count).max() ?? 0 }
            func line(_ values: [String]) -> String {
                zip(values, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces)
            }
            return ([line(columns)] + cells.map(line)).joined(separator: "\n") + "\n" + (rows.isEmpty ? "(no rows)\n" : "")
        }
    }

    /// The table with only `names` (those it has), in that order.
    public func selecting(_ names: [String]) -> QueryTable {
        let indices = names.compactMap { columns.firstIndex(of: $0) }
        return QueryTable(columns: indices.map { columns[$0] }, rows: rows.map { row in indices.map { row[$0] } })
    }

    func object(for row: [JSONValue]) -> JSONValue {
        .object(Dictionary(zip(columns, row), uniquingKeysWith: { a, _ in a }))
    }

    static func raw(_ v: JSONValue) -> String {
        switch v {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): return s
        case .array, .object: return json(v)
        }
    }

    /// A value as the human formats show it (accuracies as percentages, "-" for none).
    public static func human(_ v: JSONValue, column: String) -> String {
        guard case .number(let n) = v else { return v == .null ? "-" : raw(v) }
        if column.hasPrefix("test_acc") || column.hasPrefix("val_acc") { return String(format: "%.2f%%", n * 100) }
        if column.hasPrefix("packed_exact") { return n >= 1 ? "yes" : "no" }
        if n == n.rounded() && abs(n) < 1e12 { return String(Int64(n)) }
        if abs(n) >= 100 { return String(format: "%.0f", n) }
        return String(format: "%.4g", n)
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func json(_ v: JSONValue, pretty: Bool = false) -> String {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(v)) ?? Data(), as: UTF8.self)
    }
}
