import FATNNVocabulary
import Foundation

/// A declared family of experiments: a base job, a grid of values for some of its fields, and
/// the seeds to repeat each combination with.
///
/// ```json
/// { "name": "quickstart",
///   "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 3, "learningRate": 0.1} },
///   "grid": { "training.learningRate": [0.05, 0.2] },
///   "seeds": [1, 2] }
/// ```
///
/// A sweep may instead declare `stages`, each with its own `grid` and a `base` merged over the
/// shared one; a stage with `"from": "NAME"` fine-tunes: each of its jobs starts from the model of
/// the job in stage NAME with the same model, dataset split and seed (its ``JobConfig/initFrom``).
///
/// ```json
/// { "name": "qat", "base": { … }, "seeds": [1, 2, 3],
///   "stages": [ { "name": "fp" },
///               { "name": "ternary", "from": "fp", "base": {"training": {"epochs": 5}},
///                 "grid": {"quantizer.kind": ["fatnn", "tnn"]} } ] }
/// ```
///
/// A sweep (or a stage) may also draw `sample` points over ranges (``SweepSample``), combined
/// with its grid and seeds, and declare `pruning` (``PruningRule``): early stopping of the jobs
/// that fall behind the others of their sweep and stage.
public struct Sweep: Sendable, Equatable {
    /// Sweep name: letters, digits, `.`, `_`, `-`; at most 100 characters.
    public let name: String
    /// Optional free text.
    public let description: String?
    /// The expanded jobs, grid combinations in sorted-key order, seeds innermost.
    public let jobs: [JobConfig]
    /// The stage of each job (nil without stages), parallel to ``jobs``.
    public var stages: [String?] = []
    /// The early-stopping rule of each job (nil: never pruned), parallel to ``jobs``.
    public var pruning: [PruningRule?] = []
    /// The sampled points of each job as (key, value) (empty for jobs of a plain grid), parallel
    /// to ``jobs``: what `submit --dry-run` shows.
    public var sampled: [[(key: String, value: JSONValue)]] = []
    /// Every sampled field (of the sweep or any stage) and its range (plots use log axes for
    /// log-uniform ones).
    public var sampleSpace: [String: SweepSample.Distribution] = [:]
    /// Priority, timeout and retry budgets of the jobs (top-level fields, all optional).
    public var policy = SweepPolicy()

    public static func == (a: Sweep, b: Sweep) -> Bool {
        a.name == b.name && a.description == b.description && a.jobs == b.jobs && a.stages == b.stages
            && a.pruning == b.pruning && a.policy == b.policy && a.sampleSpace == b.sampleSpace
            && a.sampled.map { $0.map(\.key) } == b.sampled.map { $0.map(\.key) }
            && a.sampled.map { $0.map(\.value) } == b.sampled.map { $0.map(\.value) }
    }

    /// Upper bound on jobs one sweep file may expand to.
    public static let maxJobs = 100_000
    /// Upper bound on a sweep file's size in bytes.
    public static let maxDocumentBytes = 1 << 20

    /// Parses, validates and expands a sweep document.
    ///
    /// - Throws: ``SweepError`` with the JSON path of the first invalid field.
    public static func parse(_ data: Data) throws(SweepError) -> Sweep {
        guard data.count <= maxDocumentBytes else {
            throw SweepError(path: "", "file is \(data.count) bytes; the limit is \(maxDocumentBytes)")
        }
        let json: JSONValue
        do { json = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw SweepError(path: "", "not valid JSON: \(Self.describe(error))")
        }
        return try expand(json)
    }

    /// Validates and expands a parsed sweep document.
    public static func expand(_ json: JSONValue) throws(SweepError) -> Sweep {
        var r = try ObjectReader(json, path: "")
        let name = try r.string("name")
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !name.isEmpty, name.count <= 100, name.allSatisfy({ allowed.contains($0) }) else {
            throw SweepError(path: "name", "'\(name)' must be 1-100 characters of letters, digits, '.', '_' or '-'")
        }
        let description: String? = r.raw("description") == nil ? nil : try r.string("description")
        guard let base = r.raw("base") else { throw SweepError(path: "base", "required field is missing") }
        guard case .object = base else { throw SweepError(path: "base", "expected an object, got \(base.typeName)") }
        let hasGrid = r.has("grid")
        let axes = try gridAxes(r.object("grid"), path: "grid")
        let sample = try r.raw("sample").map { v throws(SweepError) in try readSample(v, path: "sample") }
        let pruning = try r.raw("pruning").map { v throws(SweepError) in try PruningRule.read(v, path: "pruning") }
        let seeds = try seedList(r.raw("seeds"))
        let stages = r.has("stages") ? r.raw("stages") : nil
        if !r.has("stages") { _ = r.raw("stages") }
        let policy = try SweepPolicy.read(&r)
        try r.finish()
        var sweep: Sweep
        if let stages {
            guard !hasGrid else { throw SweepError(path: "grid", "with stages, give each stage its own grid") }
            guard sample == nil else { throw SweepError(path: "sample", "with stages, give each stage its own sample") }
            sweep = try expandStages(stages, base: base, seeds: seeds, pruning: pruning, name: name, description: description)
        } else {
            let (jobs, points) = try expand(base: base, axes: axes, sample: sample, seeds: seeds, gridPath: "grid", samplePath: "sample")
            try pruning?.check(jobs, path: "pruning")
            sweep = Sweep(name: name, description: description, jobs: jobs)
            sweep.stages = Array(repeating: nil, count: jobs.count)
            sweep.pruning = Array(repeating: pruning, count: jobs.count)
            sweep.sampled = points
            for (key, d) in sample?.space ?? [] { sweep.sampleSpace[key] = d }
        }
        sweep.policy = policy
        return sweep
    }

    /// The jobs of one grid over `base`, then each sampled point, seeds innermost; with the
    /// sampled values of each job.
    private static func expand(base: JSONValue, axes: [Axis], sample: SweepSample?, seeds: [Int], gridPath: String,
                               samplePath: String, limit: Int = maxJobs) throws(SweepError) -> ([JobConfig], [[(key: String, value: JSONValue)]]) {
        if let sample, let clash = sample.space.first(where: { s in axes.contains { $0.key == s.key } }) {
            throw SweepError(path: "\(samplePath).space[\"\(clash.key)\"]", "is also in the grid; vary a field by one or the other")
        }
        var combinations = seeds.count * (sample?.count ?? 1)
        guard combinations <= limit else {
            throw SweepError(path: gridPath, "expands to more than \(limit) jobs (grid sizes x seeds); the limit is \(maxJobs) per sweep")
        }
        for a in axes {
            combinations *= a.values.count
            guard combinations <= limit else {
                throw SweepError(path: gridPath, "expands to more than \(limit) jobs (grid sizes x seeds); the limit is \(maxJobs) per sweep")
            }
        }
        var jobs: [JobConfig] = []
        var sampled: [[(key: String, value: JSONValue)]] = []
        let points = sample?.points() ?? [[]]
        var choice = [Int](repeating: 0, count: axes.count)
        repeat {
            var doc = base
            for (a, i) in zip(axes, choice) { doc = doc.setting(a.key.split(separator: ".").map(String.init)[...], to: a.values[i]) }
            var firstJobOfPoint: [JobConfig: Int] = [:]
            for (p, point) in points.enumerated() {
                var pointDoc = doc
                for (key, value) in point { pointDoc = pointDoc.setting(key.split(separator: ".").map(String.init)[...], to: value) }
                for seed in seeds {
                    let withSeed = pointDoc.setting(["seed"], to: .number(Double(seed)))
                    let job: JobConfig
                    do { job = try JobConfig.validated(from: withSeed, path: "base") } catch {
                        throw blame(blame(error, point: point, index: p, samplePath: samplePath), axes: axes, choice: choice, gridPath: gridPath)
                    }
                    if !point.isEmpty {
                        if let earlier = firstJobOfPoint[job] {
                            throw SweepError(path: samplePath, "points \(earlier + 1) and \(p + 1) give the same job (\(describe(point))); use fewer points, wider ranges or a grid for small discrete spaces")
                        }
                        firstJobOfPoint[job] = p
                    }
                    jobs.append(job)
                    sampled.append(point)
                }
            }
        } while advance(&choice, axes)
        return (jobs, sampled)
    }

    private static func readSample(_ value: JSONValue, path: String) throws(SweepError) -> SweepSample {
        try SweepSample.read(value, path: path, isKey: isGridKey,
                             keyHelp: "\(JobConfig.gridKeyPaths.joined(separator: ", ")), quantizer.params.NAME")
    }

    /// Points an error in a job at the sampled field that caused it, when one did.
    private static func blame(_ error: SweepError, point: [(key: String, value: JSONValue)], index: Int, samplePath: String) -> SweepError {
        for (key, value) in point where error.path == "base.\(key)" || error.path.hasPrefix("base.\(key).") {
            return SweepError(path: "\(samplePath).space[\"\(key)\"]", "point \(index + 1) drew \(describe(value)): \(error.message)")
        }
        return error
    }

    /// `key=value, …` of a sampled point.
    public static func describe(_ point: [(key: String, value: JSONValue)]) -> String {
        point.map { "\($0.key)=\(describe($0.value))" }.joined(separator: ", ")
    }

    static func describe(_ value: JSONValue) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? e.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "\(value)"
    }

    /// The jobs of every stage in order, fine-tuning stages linked to their parents.
    private static func expandStages(_ value: JSONValue, base: JSONValue, seeds: [Int], pruning sweepPruning: PruningRule?,
                                     name sweepName: String, description: String?) throws(SweepError) -> Sweep {
        guard case .array(let items) = value, (1...20).contains(items.count) else {
            throw SweepError(path: "stages", "expected an array of 1 to 20 stage objects, got \(value.typeName)")
        }
        var jobs: [JobConfig] = []
        var stageOf: [String?] = [], pruningOf: [PruningRule?] = [], sampledOf: [[(key: String, value: JSONValue)]] = []
        var space: [String: SweepSample.Distribution] = [:]
        var byStage: [String: [JobConfig]] = [:]
        for (i, item) in items.enumerated() {
            let path = "stages[\(i)]"
            var r = try ObjectReader(item, path: path)
            let name = try r.string("name")
            guard !name.isEmpty, name.count <= 100, byStage[name] == nil else {
                throw SweepError(path: r.at("name"), name.isEmpty || name.count > 100 ? "must be 1-100 characters" : "repeats the name of an earlier stage")
            }
            var stageBase = base
            if let overlay = r.raw("base"), overlay != .null {
                guard case .object = overlay else { throw SweepError(path: r.at("base"), "expected an object, got \(overlay.typeName)") }
                stageBase = base.merged(with: overlay)
            }
            let axes = try gridAxes(r.object("grid"), path: r.at("grid"))
            let sample = try r.raw("sample").map { v throws(SweepError) in try readSample(v, path: r.at("sample")) }
            // A stage's own pruning replaces the sweep's; "pruning": null turns it off.
            var stagePruning = sweepPruning, pruningPath = "pruning"
            if r.isNull("pruning") { stagePruning = nil }
            if let v = r.raw("pruning") { stagePruning = try PruningRule.read(v, path: r.at("pruning")); pruningPath = r.at("pruning") }
            let from: String? = r.has("from") ? try r.string("from") : nil
            if from == nil { _ = r.raw("from") }
            try r.finish()
            var (stageJobs, points) = try expand(base: stageBase, axes: axes, sample: sample, seeds: seeds, gridPath: r.at("grid"),
                                                 samplePath: r.at("sample"), limit: maxJobs - jobs.count)
            try stagePruning?.check(stageJobs, path: pruningPath)
            if let from {
                guard let parents = byStage[from] else {
                    throw SweepError(path: r.at("from"), "'\(from)' is not the name of an earlier stage")
                }
                // Parents by (model, dataset split, seed): linear in the stage sizes.
                var byKey: [ParentKey: [Int]] = [:]
                for (i, p) in parents.enumerated() { byKey[ParentKey(p), default: []].append(i) }
                for (j, job) in stageJobs.enumerated() {
                    guard job.initFrom == nil else {
                        throw SweepError(path: r.at("from"), "the stage's base already sets initFrom; give one or the other")
                    }
                    let matches = byKey[ParentKey(job)] ?? []
                    guard matches.count == 1 else {
                        throw SweepError(path: r.at("from"), "job \(j + 1) of stage '\(name)' (\(job.model), \(job.dataset.name) \(job.splitLabel), seed \(job.seed)) matches \(matches.count) jobs of stage '\(from)'; it needs exactly one with the same model, dataset split and seed")
                    }
                    stageJobs[j].initFrom = parents[matches[0]].configHash
                }
            }
            byStage[name] = stageJobs
            jobs += stageJobs
            stageOf += Array(repeating: name, count: stageJobs.count)
            pruningOf += Array(repeating: stagePruning, count: stageJobs.count)
            sampledOf += points
            for (key, d) in sample?.space ?? [] { space[key] = d }
        }
        var sweep = Sweep(name: sweepName, description: description, jobs: jobs)
        sweep.stages = stageOf
        sweep.pruning = pruningOf
        sweep.sampled = sampledOf
        sweep.sampleSpace = space
        return sweep
    }

    private struct Axis { let key: String; let values: [JSONValue] }

    /// What a fine-tuning job and its parent share.
    private struct ParentKey: Hashable {
        let model: ModelArchitecture, dataset: JobConfig.DatasetSpec, seed: Int
        init(_ job: JobConfig) { model = job.model; dataset = job.dataset; seed = job.seed }
    }

    private static func gridAxes(_ grid: ObjectReader?, path gridPath: String) throws(SweepError) -> [Axis] {
        guard var grid else { return [] }
        var axes: [Axis] = []
        for (key, value) in grid.all() {
            let path = "\(gridPath)[\"\(key)\"]"
            guard isGridKey(key) else {
                throw SweepError(path: path, "unknown key path; allowed: \(JobConfig.gridKeyPaths.joined(separator: ", ")), quantizer.params.NAME")
            }
            guard case .array(let values) = value, !values.isEmpty else {
                throw SweepError(path: path, "expected a non-empty array of values, got \(value.typeName)")
            }
            guard values.count <= maxJobs else {
                throw SweepError(path: path, "has \(values.count) values; the limit is \(maxJobs) jobs per sweep")
            }
            var seen = Set<JSONValue>()
            for (i, v) in values.enumerated() where !seen.insert(v).inserted {
                throw SweepError(path: "\(path)[\(i)]", "repeats an earlier value")
            }
            axes.append(Axis(key: key, values: values))
        }
        return axes
    }

    /// Whether a sweep's grid or sample may vary `key`.
    static func isGridKey(_ key: String) -> Bool {
        JobConfig.gridKeyPaths.contains(key)
            || key.hasPrefix("quantizer.params.") && key.split(separator: ".", omittingEmptySubsequences: false).count == 3 && !key.hasSuffix(".")
    }

    private static func seedList(_ value: JSONValue?) throws(SweepError) -> [Int] {
        guard let value else { throw SweepError(path: "seeds", "required field is missing; give a list such as [1, 2]") }
        guard case .array(let items) = value, !items.isEmpty else {
            throw SweepError(path: "seeds", "expected a non-empty array of integers, got \(value.typeName)")
        }
        guard items.count <= maxJobs else { throw SweepError(path: "seeds", "has \(items.count) seeds; the limit is \(maxJobs)") }
        var seeds: [Int] = []
        var seen = Set<Int>()
        for (i, item) in items.enumerated() {
            guard case .number(let n) = item, n == n.rounded(), n >= 0, n <= Double(Int32.max) else {
                throw SweepError(path: "seeds[\(i)]", "expected an integer in 0...\(Int32.max)")
            }
            guard seen.insert(Int(n)).inserted else { throw SweepError(path: "seeds[\(i)]", "repeats seed \(Int(n))") }
            seeds.append(Int(n))
        }
        return seeds
    }

    /// Points an error in a combined job at the grid value that caused it, when it did.
    private static func blame(_ error: SweepError, axes: [Axis], choice: [Int], gridPath: String) -> SweepError {
        for (a, i) in zip(axes, choice) where error.path == "base.\(a.key)" || error.path.hasPrefix("base.\(a.key).") {
            return SweepError(path: "\(gridPath)[\"\(a.key)\"][\(i)]", error.message)
        }
        return error
    }

    private static func advance(_ choice: inout [Int], _ axes: [Axis]) -> Bool {
        for i in choice.indices.reversed() {
            choice[i] += 1
            if choice[i] < axes[i].values.count { return true }
            choice[i] = 0
        }
        return false
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? DecodingError, case .dataCorrupted(let ctx) = e {
            return (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? ctx.debugDescription
        }
        return "\(error)"
    }
}
