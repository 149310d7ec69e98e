import Foundation

/// The answer of a ``CompareQuery``: for each value of the compared key other than the
/// baseline, the paired differences (value − baseline) of the metric over the configs that
/// differ only in that key, with their mean, sample std and a Student t confidence interval.
public struct PairedComparison: Codable, Sendable, Equatable {
    /// One compared value.
    public struct Row: Codable, Sendable, Equatable {
        /// The value's label (a quantizer's kind, a learning rate, …).
        public var value: String
        /// Pairs: configs (minus the key) that have a job of this value and one of the baseline.
        public var pairs: Int
        /// Mean of the paired differences, value − baseline (nil without pairs).
        public var meanDifference: Double?
        /// Sample standard deviation of the differences (n − 1; nil below 2 pairs).
        public var stdDifference: Double?
        /// Lower end of the confidence interval of the mean difference (nil below 2 pairs).
        public var ciLow: Double?
        /// Upper end of the confidence interval of the mean difference (nil below 2 pairs).
        public var ciHigh: Double?
        /// Mean of the metric on the baseline's side of the pairs.
        public var baselineMean: Double?
        /// Mean of the metric on this value's side of the pairs.
        public var valueMean: Double?
        /// Why a number is missing, when one is.
        public var note: String?

        /// A row; the numbers left out are missing (see ``note``).
        public init(value: String, pairs: Int, meanDifference: Double? = nil, stdDifference: Double? = nil, ciLow: Double? = nil,
                    ciHigh: Double? = nil, baselineMean: Double? = nil, valueMean: Double? = nil, note: String? = nil) {
            self.value = value; self.pairs = pairs; self.meanDifference = meanDifference; self.stdDifference = stdDifference
            self.ciLow = ciLow; self.ciHigh = ciHigh; self.baselineMean = baselineMean; self.valueMean = valueMean; self.note = note
        }
    }

    /// The compared key, as asked.
    public var key: String
    /// The baseline's label.
    public var baseline: String
    /// The metric compared.
    public var metric: String
    /// Confidence level of the intervals.
    public var confidence: Double
    /// Succeeded jobs with the metric that the filter kept.
    public var jobs: Int
    /// Every value of the key among those jobs, baseline included, in label order.
    public var values: [String]
    /// One row per value other than the baseline, in label order.
    public var rows: [Row]
    /// Keys the two jobs of a pair were also allowed to differ in (``CompareQuery/ignoring``).
    public var ignoring: [String]?

    /// A comparison's answer (``compute(_:key:baseline:metric:confidence:)`` builds one from jobs).
    public init(key: String, baseline: String, metric: String, confidence: Double = 0.95, jobs: Int, values: [String], rows: [Row]) {
        self.key = key; self.baseline = baseline; self.metric = metric; self.confidence = confidence; self.jobs = jobs
        self.values = values; self.rows = rows
    }

    /// One job's contribution: its pairing key (the config without the compared key), the
    /// removed value, and the metric.
    public struct Sample: Sendable {
        public var pairKey: String
        public var value: JSONValue
        public var metric: Double
        public init(pairKey: String, value: JSONValue, metric: Double) { self.pairKey = pairKey; self.value = value; self.metric = metric }
    }

    /// Pairs `samples` and summarizes each value against `baseline`. Jobs that share a pairing
    /// key and a value (replicas) are averaged first, so each pair counts once.
    ///
    /// - Parameter baseline: a value's label, or a number equal to one; empty: the first value in
    ///   label order (the dashboard's default before one is chosen).
    /// - Throws: ``QueryError`` when `baseline` is not the label of any sample's value.
    public static func compute(_ samples: [Sample], key: ComparisonKey, baseline: String, metric: String,
                               confidence: Double = 0.95) throws(QueryError) -> PairedComparison {
        let labels = key.labels(of: Set(samples.map(\.value)))
        var sides: [String: [String: (sum: Double, count: Int)]] = [:]
        for s in samples {
            let label = labels[s.value] ?? "none"
            let old = sides[s.pairKey, default: [:]][label] ?? (0, 0)
            sides[s.pairKey, default: [:]][label] = (old.sum + s.metric, old.count + 1)
        }
        let values = Set(labels.values)
        guard !values.isEmpty else {
            throw QueryError(parameter: "nothing to compare: no succeeded job with \(metric) matches the filter and sweep")
        }
        guard let base = baseline.isEmpty ? ordered(values).first : match(baseline, in: values) else {
            throw QueryError(parameter: "baseline '\(baseline)' is not a value of \(key.name) among the \(samples.count) "
                             + "succeeded jobs that match; values: \(ordered(values).joined(separator: ", "))")
        }
        let critical = { (df: Int) in StudentT.quantile(0.5 + confidence / 2, degreesOfFreedom: df) }
        var rows: [Row] = []
        for value in ordered(values) where value != base {
            var diffs: [Double] = [], baseSide: [Double] = [], valueSide: [Double] = []
            for (_, side) in sides.sorted(by: { $0.key < $1.key }) {
                guard let a = side[value], let b = side[base] else { continue }
                let x = a.sum / Double(a.count), y = b.sum / Double(b.count)
                diffs.append(x - y); valueSide.append(x); baseSide.append(y)
            }
            rows.append(summary(value, diffs: diffs, baseSide: baseSide, valueSide: valueSide, critical: critical))
        }
        return PairedComparison(key: key.name, baseline: base, metric: metric, confidence: confidence, jobs: samples.count,
                                values: ordered(values), rows: rows)
    }

    static func summary(_ value: String, diffs: [Double], baseSide: [Double], valueSide: [Double],
                        critical: (Int) -> Double?) -> Row {
        let n = diffs.count
        guard n > 0 else {
            return Row(value: value, pairs: 0, note: "no pairs: no job of this value matches a baseline job in everything else")
        }
        let mean = diffs.reduce(0, +) / Double(n)
        var row = Row(value: value, pairs: n, meanDifference: mean, baselineMean: baseSide.reduce(0, +) / Double(n),
                      valueMean: valueSide.reduce(0, +) / Double(n))
        guard n >= 2, let t = critical(n - 1) else {
            row.note = "n/a: one pair gives no spread to estimate an interval from"
            return row
        }
        let std = (diffs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
        let half = t * std / Double(n).squareRoot()
        row.stdDifference = std
        row.ciLow = mean - half
        row.ciHigh = mean + half
        return row
    }

    /// The label `text` names: itself, or a number equal to it (`0.10` names `0.1`).
    static func match(_ text: String, in values: Set<String>) -> String? {
        if values.contains(text) { return text }
        guard let x = Double(text) else { return nil }
        return values.first { Double($0) == x }
    }

    /// Labels in order: numerically when all are numbers, else as text.
    static func ordered(_ values: Set<String>) -> [String] {
        let numbers = values.compactMap { v in Double(v).map { (v, $0) } }
        if numbers.count == values.count { return numbers.sorted { $0.1 < $1.1 }.map(\.0) }
        return values.sorted()
    }
}
