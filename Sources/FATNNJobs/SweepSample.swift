import Foundation

/// A sweep's sampled search: `count` points drawn over ranges of config fields, each point a set
/// of values that is combined with every grid combination and every seed.
///
/// ```json
/// "sample": { "method": "sobol", "count": 27, "seed": 7,
///             "space": { "training.learningRate": {"logUniform": [0.001, 0.3]},
///                        "training.momentum": {"uniform": [0.8, 0.99]},
///                        "training.batchSize": {"intUniform": [64, 256]},
///                        "quantizer.params.activationInit": {"choice": [1, 2, 4]} } }
/// ```
///
/// Points are drawn when the sweep is expanded (at submit), from `seed` alone: random points from
/// SplitMix64 in point-then-field order, Sobol' points scrambled from the seed and taken by point
/// index; fields in sorted key order. Sampled reals are rounded to 4 significant digits, so the
/// jobs' configs read well; two points that give the same job are an error. The same document
/// always expands to the same jobs.
public struct SweepSample: Sendable, Equatable {
    /// How points are drawn.
    public enum Method: String, Sendable, CaseIterable {
        /// Independent uniform draws.
        case random
        /// A scrambled Sobol' sequence: more even coverage of the space for few points.
        case sobol
    }

    /// The range one field is drawn from.
    public enum Distribution: Sendable, Equatable {
        /// Uniform real in [low, high].
        case uniform(Double, Double)
        /// Real whose logarithm is uniform in [log low, log high] (low > 0).
        case logUniform(Double, Double)
        /// Integer in low...high, each equally likely.
        case intUniform(Int, Int)
        /// One of the listed values, each equally likely.
        case choice([JSONValue])

        /// The value at `u` in [0, 1).
        public func value(at u: Double) -> JSONValue {
            switch self {
            case .uniform(let a, let b): .number(Self.round4(a + u * (b - a), within: a, b))
            case .logUniform(let a, let b): .number(Self.round4(exp(log(a) + u * (log(b) - log(a))), within: a, b))
            case .intUniform(let a, let b): .number(Double(min(b, a + Int(u * Double(b - a + 1)))))
            case .choice(let values): values[min(values.count - 1, Int(u * Double(values.count)))]
            }
        }

        /// Whether the range is searched on a log scale (for plots).
        public var isLog: Bool { if case .logUniform = self { true } else { false } }

        /// `x` to 4 significant digits, or `x` itself when rounding would leave [low, high].
        static func round4(_ x: Double, within low: Double, _ high: Double) -> Double {
            guard x != 0, x.isFinite else { return x }
            let scale = pow(10, 3 - floor(log10(abs(x))))
            let r = (x * scale).rounded() / scale
            return r >= low && r <= high ? r : x
        }
    }

    public var method: Method
    public var count: Int
    public var seed: Int
    /// Field key path and its distribution, in sorted key order.
    public var space: [(key: String, distribution: Distribution)]

    public static func == (a: SweepSample, b: SweepSample) -> Bool {
        a.method == b.method && a.count == b.count && a.seed == b.seed
            && a.space.map(\.key) == b.space.map(\.key) && a.space.map(\.distribution) == b.space.map(\.distribution)
    }

    /// The points: `count` lists of (key, value), one value per field of the space.
    public func points() -> [[(key: String, value: JSONValue)]] {
        var units: [[Double]] = []
        switch method {
        case .random:
            var rng = SplitMix64(seed: UInt64(seed) &* 0x2545_F491_4F6C_DD1D &+ 1)
            units = (0..<count).map { _ in space.map { _ in rng.unit() } }
        case .sobol:
            let sobol = Sobol(dimensions: space.count, scrambleSeed: UInt64(seed))
            units = (0..<count).map { sobol.point($0) }
        }
        return units.map { u in zip(space, u).map { (key: $0.key, value: $0.distribution.value(at: $1)) } }
    }

    /// Reads the `sample` object at `path`; `isKey` says which key paths a sweep may vary.
    static func read(_ value: JSONValue, path: String, isKey: (String) -> Bool, keyHelp: String) throws(SweepError) -> SweepSample {
        var r = try ObjectReader(value, path: path)
        let method = try r.string("method", allowed: Method.allCases.map(\.rawValue))
        let count = try r.int("count", min: 1, max: Sweep.maxJobs)
        let seed = try r.int("seed", default: 0, min: 0, max: Int(Int32.max))
        guard var s = try r.object("space") else { throw SweepError(path: r.at("space"), "required field is missing; give an object of field paths and ranges") }
        try r.finish()
        var space: [(key: String, distribution: Distribution)] = []
        for (key, spec) in s.all() {
            let at = "\(s.path)[\"\(key)\"]"
            guard isKey(key) else { throw SweepError(path: at, "unknown key path; allowed: \(keyHelp)") }
            space.append((key, try distribution(spec, path: at)))
        }
        guard !space.isEmpty else { throw SweepError(path: s.path, "needs at least one field to sample") }
        let m = Method(rawValue: method) ?? .random
        if m == .sobol, space.count > Sobol.maxDimensions {
            throw SweepError(path: s.path, "has \(space.count) fields; sobol supports at most \(Sobol.maxDimensions) (use random)")
        }
        return SweepSample(method: m, count: count, seed: seed, space: space)
    }

    private static func distribution(_ value: JSONValue, path: String) throws(SweepError) -> Distribution {
        let kinds = ["uniform", "logUniform", "intUniform", "choice"]
        guard case .object(let o) = value, o.count == 1, let (kind, arg) = o.first, kinds.contains(kind) else {
            throw SweepError(path: path, "expected an object with one of \(kinds.joined(separator: ", ")), e.g. {\"logUniform\": [0.001, 0.3]}")
        }
        let at = "\(path).\(kind)"
        guard case .array(let items) = arg, !items.isEmpty else { throw SweepError(path: at, "expected a non-empty array, got \(arg.typeName)") }
        if kind == "choice" {
            guard items.count <= 10_000 else { throw SweepError(path: at, "has \(items.count) values; the limit is 10000") }
            var seen = Set<JSONValue>()
            for (i, v) in items.enumerated() where !seen.insert(v).inserted { throw SweepError(path: "\(at)[\(i)]", "repeats an earlier value") }
            return .choice(items)
        }
        guard items.count == 2, case .number(let a) = items[0], case .number(let b) = items[1], a.isFinite, b.isFinite else {
            throw SweepError(path: at, "expected [low, high], two numbers")
        }
        guard a < b else { throw SweepError(path: at, "low (\(a)) must be less than high (\(b))") }
        switch kind {
        case "logUniform":
            guard a > 0 else { throw SweepError(path: at, "low must be greater than 0 for a log scale, got \(a)") }
            return .logUniform(a, b)
        case "intUniform":
            guard a == a.rounded(), b == b.rounded(), abs(a) < 1e9, abs(b) < 1e9 else { throw SweepError(path: at, "expected two integers below 1e9") }
            return .intUniform(Int(a), Int(b))
        default:
            return .uniform(a, b)
        }
    }
}
