import Foundation

/// One axis of an ``SVGPlot``: its name, how its ticks read, and its scale. Ticks fall on round
/// values: steps of 1, 2 or 5 times a power of ten (whole numbers only for an integer axis); a
/// log axis ticks at 1, 2 and 5 times powers of ten (only powers of ten past three decades).
struct PlotAxis: Sendable {
    enum Format: Sendable {
        /// Numbers as they are (3 significant digits at most past the step's precision).
        case plain
        /// Fractions shown as percentages (0.85 reads 85%).
        case percent
        /// Whole numbers (epochs).
        case integer
    }

    var name: String
    var format: Format = .plain
    var log = false

    /// Tick values whose first and last enclose every finite value (positive ones, on a log axis).
    func ticks(covering values: [Double]) -> [Double] {
        let v = values.filter { $0.isFinite && (!log || $0 > 0) }
        guard var lo = v.min(), var hi = v.max() else { return log ? [1, 10] : [0, 1] }
        if log { return Self.logTicks(lo, hi) }
        if hi - lo < 1e-12 {
            let pad = format == .integer ? 1 : max(abs(lo) * 0.05, format == .percent ? 0.01 : 0.5)
            lo -= pad; hi += pad
        }
        return Self.niceTicks(lo, hi, integer: format == .integer)
    }

    /// About five round ticks covering [lo, hi] (lo < hi).
    static func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5, integer: Bool = false) -> [Double] {
        let raw = (hi - lo) / Double(count)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? 10 * magnitude
        if integer { step = max(1, step.rounded(.up)) }
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        return stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// Ticks of a log axis covering [lo, hi] (0 < lo <= hi).
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        var a = (log10(lo)).rounded(.down), b = (log10(hi)).rounded(.up)
        if a == b { a -= 1; b += 1 }
        let mantissas: [Double] = b - a > 3 ? [1] : [1, 2, 5]
        var out: [Double] = []
        for e in stride(from: a, through: b, by: 1) {
            for m in mantissas { out.append(m * pow(10, e)) }
        }
        // Trim to the values' range, keeping one tick at or beyond each end.
        let start = out.lastIndex { $0 <= lo * (1 + 1e-9) } ?? 0
        let end = out.firstIndex { $0 >= hi * (1 - 1e-9) } ?? out.count - 1
        return Array(out[start...max(start + 1, end)])
    }

    /// How tick `value` reads, given the axis's ticks (their step sets the precision).
    func label(_ value: Double, ticks: [Double]) -> String {
        let step = ticks.count > 1 && !log ? abs(ticks[1] - ticks[0]) : abs(value)
        switch format {
        case .integer:
            return String(Int(value.rounded()))
        case .percent:
            let decimals = max(0, Int((-log10(max(step * 100, 1e-9))).rounded(.up)))
            return String(format: "%.\(min(decimals, 3))f%%", value * 100)
        case .plain:
            if log || value == 0 { return Self.short(value) }
            let decimals = max(0, Int((-log10(max(step, 1e-12))).rounded(.up)))
            return abs(value) >= 1e5 || decimals > 5 ? Self.short(value) : String(format: "%.\(decimals)f", value)
        }
    }

    static func short(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1e-3 && abs(v) < 1e5 { return String(format: "%g", v) }
        return String(format: "%.0e", v)
    }
}
