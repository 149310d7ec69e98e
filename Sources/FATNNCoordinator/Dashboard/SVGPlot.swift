import Foundation

/// Server-rendered SVG plots: lines over epochs (with bands, links and markers), scatter plots
/// and scatter with error bars (the Pareto plot). Axes tick at round values (steps of 1, 2 or 5
/// times a power of ten; on log axes 1, 2 and 5 times powers of ten), epochs as integers,
/// accuracies in percent (``PlotAxis``).
enum SVGPlot {
    struct Series {
        let name: String
        let color: String
        let points: [(x: Double, y: Double)]
        /// Where a click on the line goes (a dashboard page), if anywhere.
        var link: String? = nil
        /// Drawn thin and without a legend entry (one of many curves).
        var thin = false
        /// A band around the line (e.g. mean ± std): lower and upper y per point.
        var band: [(lo: Double, hi: Double)]? = nil
    }

    struct Point {
        let label: String
        let x: Double
        let y: Double
        let yError: Double
        var link: String? = nil
        var highlighted = false
    }

    static let width = 640.0, height = 320.0, left = 64.0, right = 20.0, top = 20.0, bottom = 40.0

    /// A line chart; `markers` draws dashed vertical lines at those x values (e.g. ASHA's rungs)
    /// labelled `markerLabel`.
    static func lines(_ series: [Series], id: String, x: PlotAxis, y: PlotAxis, markers: [Double] = [], markerLabel: String = "") -> String {
        let all = series.flatMap(\.points)
        guard !all.isEmpty else { return "<p class=\"muted\">No data to plot.</p>" }
        let bands = series.flatMap { $0.band?.flatMap { [$0.lo, $0.hi] } ?? [] }
        let f = Frame(id: id, x: x, y: y, xs: all.map(\.x), ys: all.map(\.y) + bands)
        var s = f.open
        for m in markers where m >= f.x0 && m <= f.x1 {
            let mx = fmt(f.px(m))
            s += "<line class=\"marker\" x1=\"\(mx)\" x2=\"\(mx)\" y1=\"\(top)\" y2=\"\(height - bottom)\" stroke=\"#999\" stroke-dasharray=\"3 3\"/>"
            s += "<text x=\"\(mx)\" y=\"\(fmt(top + 10))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#777\">\(HTML.escape(markerLabel))</text>"
        }
        var legend = 0
        for ser in series where !ser.points.isEmpty {
            if let band = ser.band, band.count == ser.points.count {
                let upper = zip(ser.points, band).map { "\(fmt(f.px($0.x))),\(fmt(f.py($1.hi)))" }
                let lower = zip(ser.points, band).reversed().map { "\(fmt(f.px($0.x))),\(fmt(f.py($1.lo)))" }
                s += "<polygon class=\"band\" fill=\"\(ser.color)\" fill-opacity=\"0.15\" stroke=\"none\" points=\"\((upper + lower).joined(separator: " "))\"/>"
            }
            let path = ser.points.map { "\(fmt(f.px($0.x))),\(fmt(f.py($0.y)))" }.joined(separator: " ")
            var line = "<polyline class=\"series\" data-name=\"\(HTML.escape(ser.name))\" fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"\(ser.thin ? 1.2 : 2)\" points=\"\(path)\"><title>\(HTML.escape(ser.name))</title></polyline>"
            if ser.points.count == 1, let p = ser.points.first {
                line += "<circle cx=\"\(fmt(f.px(p.x)))\" cy=\"\(fmt(f.py(p.y)))\" r=\"2\" fill=\"\(ser.color)\"/>"
            }
            if let link = ser.link { line = "<a href=\"\(HTML.escape(link))\">\(line)</a>" }
            s += line
            if !ser.thin {
                s += "<text x=\"\(fmt(width - right - 10))\" y=\"\(fmt(top + 14 + 14 * Double(legend)))\" text-anchor=\"end\" fill=\"\(ser.color)\">\(HTML.escape(ser.name))</text>"
                legend += 1
            }
        }
        return s + "</svg>"
    }

    /// Points, each a link if it has one; the highlighted ones drawn larger (e.g. the best).
    static func scatter(_ points: [Point], id: String, x: PlotAxis, y: PlotAxis) -> String {
        guard !points.isEmpty else { return "<p class=\"muted\">No data to plot.</p>" }
        let f = Frame(id: id, x: x, y: y, xs: points.map(\.x), ys: points.map(\.y))
        var s = f.open
        for p in points.sorted(by: { !$0.highlighted && $1.highlighted }) {
            var dot = "<g class=\"point\(p.highlighted ? " best" : "")\" data-label=\"\(HTML.escape(p.label))\"><title>\(HTML.escape(p.label))</title>"
            dot += "<circle cx=\"\(fmt(f.px(p.x)))\" cy=\"\(fmt(f.py(p.y)))\" r=\"\(p.highlighted ? 6 : 3.5)\" fill=\"\(p.highlighted ? "#e80" : "#36c")\"\(p.highlighted ? " stroke=\"#000\"" : "")/></g>"
            if let link = p.link { dot = "<a href=\"\(HTML.escape(link))\">\(dot)</a>" }
            s += dot
        }
        return s + "</svg>"
    }

    /// Points with vertical error bars; the upper-left frontier (best y for a given x or less) is
    /// drawn as a step line.
    static func pareto(_ points: [Point], id: String, x: PlotAxis, y: PlotAxis) -> String {
        guard !points.isEmpty else { return "<p class=\"muted\">No data to plot.</p>" }
        // Latency axis from 0, so that distances between configs read as ratios.
        let f = Frame(id: id, x: x, y: y, xs: [0] + points.map(\.x), ys: points.flatMap { [$0.y - $0.yError, $0.y + $0.yError] })
        var s = f.open
        var best = -Double.infinity
        var frontier: [Point] = []
        for p in points.sorted(by: { ($0.x, -$0.y) < ($1.x, -$1.y) }) where p.y > best {
            best = p.y
            frontier.append(p)
        }
        if frontier.count > 1 {
            let path = frontier.map { "\(fmt(f.px($0.x))),\(fmt(f.py($0.y)))" }.joined(separator: " ")
            s += "<polyline class=\"frontier\" fill=\"none\" stroke=\"#bbb\" stroke-dasharray=\"4 3\" points=\"\(path)\"/>"
        }
        for p in points {
            let cx = f.px(p.x), cy = f.py(p.y)
            let ya = f.py(p.y - p.yError), yb = f.py(p.y + p.yError)
            s += "<g class=\"point\" data-label=\"\(HTML.escape(p.label))\"><title>\(HTML.escape(p.label))</title>"
            s += "<line x1=\"\(fmt(cx))\" x2=\"\(fmt(cx))\" y1=\"\(fmt(ya))\" y2=\"\(fmt(yb))\" stroke=\"#36c\"/>"
            s += "<circle cx=\"\(fmt(cx))\" cy=\"\(fmt(cy))\" r=\"4\" fill=\"#36c\"/></g>"
        }
        return s + "</svg>"
    }

    /// The plot area: axes with ticks and grid lines, and the data-to-pixel mappings.
    struct Frame {
        let x: PlotAxis, y: PlotAxis
        let xTicks: [Double], yTicks: [Double]
        let x0: Double, x1: Double, y0: Double, y1: Double
        /// The `<svg>` start tag, axes, ticks and grid: the plot's marks follow, then `</svg>`.
        private(set) var open = ""

        init(id: String, x: PlotAxis, y: PlotAxis, xs: [Double], ys: [Double]) {
            self.x = x; self.y = y
            xTicks = x.ticks(covering: xs)
            yTicks = y.ticks(covering: ys)
            (x0, x1) = (xTicks.first ?? 0, xTicks.last ?? 1)
            (y0, y1) = (yTicks.first ?? 0, yTicks.last ?? 1)
            var s = "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
            for t in xTicks {
                let px = SVGPlot.fmt(self.px(t))
                s += "<line class=\"grid\" x1=\"\(px)\" x2=\"\(px)\" y1=\"\(top)\" y2=\"\(height - bottom)\" stroke=\"#eee\"/>"
                s += "<text class=\"xtick\" x=\"\(px)\" y=\"\(SVGPlot.fmt(height - bottom + 15))\" text-anchor=\"middle\" font-size=\"11\">\(x.label(t, ticks: xTicks))</text>"
            }
            for t in yTicks {
                let py = SVGPlot.fmt(self.py(t))
                s += "<line class=\"grid\" x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(py)\" y2=\"\(py)\" stroke=\"#eee\"/>"
                s += "<text class=\"ytick\" x=\"\(SVGPlot.fmt(left - 5))\" y=\"\(SVGPlot.fmt(self.py(t) + 4))\" text-anchor=\"end\" font-size=\"11\">\(y.label(t, ticks: yTicks))</text>"
            }
            s += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"#444\"/>"
            s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"#444\"/>"
            s += "<text x=\"\(SVGPlot.fmt((left + width - right) / 2))\" y=\"\(SVGPlot.fmt(height - 5))\" text-anchor=\"middle\">\(HTML.escape(x.name))</text>"
            s += "<text transform=\"translate(14 \(SVGPlot.fmt((top + height - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTML.escape(y.name))</text>"
            open = s
        }

        func px(_ v: Double) -> Double {
            let (a, b, t) = x.log ? (log10(x0), log10(x1), log10(max(v, 1e-300))) : (x0, x1, v)
            return left + (t - a) / (b - a) * (width - left - right)
        }

        func py(_ v: Double) -> Double {
            let (a, b, t) = y.log ? (log10(y0), log10(y1), log10(max(v, 1e-300))) : (y0, y1, v)
            return height - bottom - (t - a) / (b - a) * (height - top - bottom)
        }
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}
