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
public struct Sweep: Sendable, Equatable {
    /// Sweep name: letters, digits, `.`, `_`, `-`; at most 100 characters.
    public let name: String
    /// Optional free text.
    public let description: String?
    /// The expanded jobs, grid combinations in sorted-key order, seeds innermost.
    public let jobs: [JobConfig]
    /// Priority, timeout and retry budgets of the jobs (top-level fields, all optional).
    public var policy = SweepPolicy()

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
        let seeds = try seedList(r.raw("seeds"))
        let stages = r.has("stages") ? r.raw("stages") : nil
        if !r.has("stages") { _ = r.raw("stages") }
        let policy = try SweepPolicy.read(&r)
        try r.finish()
        var sweep: Sweep
        if let stages {
            guard !hasGrid else { throw SweepError(path: "grid", "with stages, give each stage its own grid") }
            sweep = Sweep(name: name, description: description, jobs: try expandStages(stages, base: base, seeds: seeds))
        } else {
            sweep = Sweep(name: name, description: description, jobs: try expand(base: base, axes: axes, seeds: seeds, gridPath: "grid"))
        }
        sweep.policy = policy
        return sweep
    }

    /// The jobs of one grid over `base`, seeds innermost.
    private static func expand(base: JSONValue, axes: [Axis], seeds: [Int], gridPath: String, limit: Int = maxJobs) throws(SweepError) -> [JobConfig] {

        var combinations = seeds.count
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
        var choice = [Int](repeating: 0, count: axes.count)
        repeat {
            var doc = base
            for (a, i) in zip(axes, choice) { doc = doc.setting(a.key.split(separator: ".").map(String.init)[...], to: a.values[i]) }
            for seed in seeds {
                let withSeed = doc.setting(["seed"], to: .number(Double(seed)))
                do { jobs.append(try JobConfig.validated(from: withSeed, path: "base")) } catch {
                    throw blame(error, axes: axes, choice: choice, gridPath: gridPath)
                }
            }
        } while advance(&choice, axes)
        return jobs
    }

    /// The jobs of every stage in order, fine-tuning stages linked to their parents.
    private static func expandStages(_ value: JSONValue, base: JSONValue, seeds: [Int]) throws(SweepError) -> [JobConfig] {
        guard case .array(let items) = value, (1...20).contains(items.count) else {
            throw SweepError(path: "stages", "expected an array of 1 to 20 stage objects, got \(value.typeName)")
        }
        var jobs: [JobConfig] = []
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
            let from: String? = r.has("from") ? try r.string("from") : nil
            if from == nil { _ = r.raw("from") }
            try r.finish()
            var stageJobs = try expand(base: stageBase, axes: axes, seeds: seeds, gridPath: r.at("grid"), limit: maxJobs - jobs.count)
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
        }
        return jobs
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
            guard JobConfig.gridKeyPaths.contains(key) || key.hasPrefix("quantizer.params.") && key.split(separator: ".", omittingEmptySubsequences: false).count == 3 && !key.hasSuffix(".") else {
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
