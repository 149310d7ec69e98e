import Foundation

/// Server-rendered SVG plots: lines over epochs, and scatter with error bars (the Pareto plot).
enum SVGPlot {
    struct Series {
        let name: String
        let color: String
        let points: [(x: Double, y: Double)]
    }

    struct Point {
        let label: String
        let x: Double
        let y: Double
        let yError: Double
    }

    static let width = 640.0, height = 320.0, left = 60.0, right = 20.0, top = 20.0, bottom = 40.0

    /// A line chart of `series` (e.g. loss and accuracy per epoch).
    static func lines(_ series: [Series], id: String, xLabel: String, yLabel: String) -> String {
        let all = series.flatMap(\.points)
        guard !all.isEmpty else { return "<p class=\"muted\">No data to plot.</p>" }
        let (x0, x1) = range(all.map(\.x)), (y0, y1) = range(all.map(\.y))
        var s = frame(id: id, x0: x0, x1: x1, y0: y0, y1: y1, xLabel: xLabel, yLabel: yLabel)
        for (i, ser) in series.enumerated() where !ser.points.isEmpty {
            let path = ser.points.map { "\(fmt(px($0.x, x0, x1))),\(fmt(py($0.y, y0, y1)))" }.joined(separator: " ")
            s += "<polyline class=\"series\" data-name=\"\(HTML.escape(ser.name))\" fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"2\" points=\"\(path)\"/>"
            s += "<text x=\"\(fmt(width - right - 10))\" y=\"\(fmt(top + 14 + 14 * Double(i)))\" text-anchor=\"end\" fill=\"\(ser.color)\">\(HTML.escape(ser.name))</text>"
        }
        return s + "</svg>"
    }

    /// Points with vertical error bars; the upper-left frontier (best y for a given x or less) is
    /// drawn as a step line.
    static func pareto(_ points: [Point], id: String, xLabel: String, yLabel: String) -> String {
        guard !points.isEmpty else { return "<p class=\"muted\">No data to plot.</p>" }
        // Latency axis from 0, so that distances between configs read as ratios.
        let x0 = 0.0, x1 = max(range(points.map(\.x)).1, 1e-9)
        let (y0, y1) = range(points.flatMap { [$0.y - $0.yError, $0.y + $0.yError] })
        var s = frame(id: id, x0: x0, x1: x1, y0: y0, y1: y1, xLabel: xLabel, yLabel: yLabel)
        var best = -Double.infinity
        var frontier: [Point] = []
        for p in points.sorted(by: { ($0.x, -$0.y) < ($1.x, -$1.y) }) where p.y > best {
            best = p.y
            frontier.append(p)
        }
        if frontier.count > 1 {
            let path = frontier.map { "\(fmt(px($0.x, x0, x1))),\(fmt(py($0.y, y0, y1)))" }.joined(separator: " ")
            s += "<polyline class=\"frontier\" fill=\"none\" stroke=\"#bbb\" stroke-dasharray=\"4 3\" points=\"\(path)\"/>"
        }
        for p in points {
            let cx = px(p.x, x0, x1), cy = py(p.y, y0, y1)
            let ya = py(p.y - p.yError, y0, y1), yb = py(p.y + p.yError, y0, y1)
            s += "<g class=\"point\" data-label=\"\(HTML.escape(p.label))\"><title>\(HTML.escape(p.label))</title>"
            s += "<line x1=\"\(fmt(cx))\" x2=\"\(fmt(cx))\" y1=\"\(fmt(ya))\" y2=\"\(fmt(yb))\" stroke=\"#36c\"/>"
            s += "<circle cx=\"\(fmt(cx))\" cy=\"\(fmt(cy))\" r=\"4\" fill=\"#36c\"/></g>"
        }
        return s + "</svg>"
    }

    private static func frame(id: String, x0: Double, x1: Double, y0: Double, y1: Double, xLabel: String, yLabel: String) -> String {
        var s = "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        s += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"#444\"/>"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"#444\"/>"
        for i in 0...4 {
            let fx = x0 + (x1 - x0) * Double(i) / 4, fy = y0 + (y1 - y0) * Double(i) / 4
            s += "<text x=\"\(fmt(px(fx, x0, x1)))\" y=\"\(fmt(height - bottom + 15))\" text-anchor=\"middle\" font-size=\"11\">\(tick(fx))</text>"
            s += "<text x=\"\(fmt(left - 5))\" y=\"\(fmt(py(fy, y0, y1) + 4))\" text-anchor=\"end\" font-size=\"11\">\(tick(fy))</text>"
        }
        s += "<text x=\"\(fmt((left + width - right) / 2))\" y=\"\(fmt(height - 5))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>"
        s += "<text transform=\"translate(14 \(fmt((top + height - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTML.escape(yLabel))</text>"
        return s
    }

    private static func range(_ v: [Double]) -> (Double, Double) {
        let finite = v.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return (0, 1) }
        if hi - lo < 1e-12 { return (lo - 0.5, hi + 0.5) }
        let pad = (hi - lo) * 0.05
        return (lo - pad, hi + pad)
    }

    private static func px(_ x: Double, _ x0: Double, _ x1: Double) -> Double { left + (x - x0) / (x1 - x0) * (width - left - right) }
    private static func py(_ y: Double, _ y0: Double, _ y1: Double) -> Double { height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom) }
    private static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
    private static func tick(_ v: Double) -> String { abs(v) >= 100 ? String(format: "%.0f", v) : String(format: "%.3g", v) }
}
