import FATNNJobs
import Foundation
import Testing

/// Sampled sweeps: points drawn from the seed, combined with grid and seeds, and their errors.
@Suite struct SweepSampleTests {
    private let space = #""space": {"training.learningRate": {"logUniform": [0.001, 0.3]}, "training.momentum": {"uniform": [0.8, 0.99]}, "training.batchSize": {"intUniform": [64, 256]}, "training.optimizer": {"choice": ["sgd", "adam"]}}"#

    private func doc(_ method: String, count: Int = 9, seed: Int = 5, grid: String = "", extra: String = "") -> String {
        #"{"name": "s", \#(sweepBase), "seeds": [1, 2]\#(grid), "sample": {"method": "\#(method)", "count": \#(count), "seed": \#(seed), \#(space)}\#(extra)}"#
    }

    @Test(arguments: ["random", "sobol"]) func pointsAreInRangeDistinctAndRepeatable(method: String) throws {
        let s = try sweep(doc(method))
        #expect(s.jobs.count == 9 * 2)
        for (i, job) in s.jobs.enumerated() {
            #expect((0.001...0.3).contains(job.training.learningRate))
            #expect((0.8...0.99).contains(job.training.momentum))
            #expect((64...256).contains(job.training.batchSize))
            #expect(job.seed == [1, 2][i % 2], "seeds innermost")
            #expect(s.sampled[i].map(\.key) == ["training.batchSize", "training.learningRate", "training.momentum", "training.optimizer"])
        }
        // Seeds share a point; points differ.
        #expect(s.jobs[0].training.learningRate == s.jobs[1].training.learningRate)
        #expect(Set(s.jobs.map(\.training.learningRate)).count == 9)
        #expect(Set(s.jobs.map(\.training.optimizer)).count == 2)
        // Reals rounded to 4 significant digits.
        for job in s.jobs { #expect(String(job.training.learningRate).count <= 9, "\(job.training.learningRate)") }
        // The same document always expands to the same jobs; another seed to others.
        #expect(try sweep(doc(method)).jobs.map(\.configHash) == s.jobs.map(\.configHash))
        #expect(try sweep(doc(method, seed: 6)).jobs.map(\.configHash) != s.jobs.map(\.configHash))
    }

    /// A fixed expansion: a change to the generators or the rounding changes stored sweeps' jobs,
    /// so it must show here.
    @Test func expansionIsPinned() throws {
        let r = try sweep(doc("random", count: 3)).jobs.map(\.training.learningRate)
        let q = try sweep(doc("sobol", count: 3)).jobs.map(\.training.learningRate)
        #expect(r == [Self.pinnedRandom[0], Self.pinnedRandom[0], Self.pinnedRandom[1], Self.pinnedRandom[1], Self.pinnedRandom[2], Self.pinnedRandom[2]])
        #expect(q == [Self.pinnedSobol[0], Self.pinnedSobol[0], Self.pinnedSobol[1], Self.pinnedSobol[1], Self.pinnedSobol[2], Self.pinnedSobol[2]])
    }
    static let pinnedRandom: [Double] = [0.01686, 0.001566, 0.2109]
    static let pinnedSobol: [Double] = [0.001003, 0.1053, 0.006159]

    /// Rounding to 4 significant digits never leaves the range: momentum must stay below 1.
    @Test func roundingStaysInTheRange() {
        let d = SweepSample.Distribution.uniform(0.9999, 0.99999)
        var unrounded = 0
        for i in 0..<1000 {
            guard case .number(let x) = d.value(at: Double(i) / 1000) else { Issue.record("not a number"); return }
            #expect((0.9999...0.99999).contains(x), "\(x)")
            if x != 1 && String(x).count > 6 { unrounded += 1 }
        }
        #expect(unrounded > 0, "values that would round to 1.0 are kept unrounded")
        #expect(SweepSample.Distribution.logUniform(0.001, 0.3).value(at: 0.5) == .number(0.01732), "4 significant digits otherwise")
    }

    @Test func sobolCoversTheRangeEvenly() throws {
        // 16 Sobol' points of a uniform field: one in each sixteenth of the range.
        let s = try sweep(#"{"name": "s", \#(sweepBase), "seeds": [1], "sample": {"method": "sobol", "count": 16, "space": {"training.momentum": {"uniform": [0.5, 0.9]}}}}"#)
        let cells = Set(s.jobs.map { Int((($0.training.momentum - 0.5) / 0.4 * 16).rounded(.down)) })
        #expect(cells == Set(0..<16))
    }

    @Test func crossesTheGrid() throws {
        let s = try sweep(doc("random", count: 4, grid: #", "grid": {"training.weightDecay": [0.0001, 0.001]}"#))
        #expect(s.jobs.count == 2 * 4 * 2)
        #expect(s.jobs[0..<8].allSatisfy { $0.training.weightDecay == 0.0001 } && s.jobs[8...].allSatisfy { $0.training.weightDecay == 0.001 })
        #expect(s.jobs[0..<8].map(\.training.learningRate) == s.jobs[8...].map(\.training.learningRate), "the same points in every grid cell")
    }

    @Test(arguments: [
        (#""sample": {"method": "grid", "count": 2, "space": {"training.momentum": {"uniform": [0, 0.5]}}}"#, "sample.method"),
        (#""sample": {"method": "random", "count": 0, "space": {"training.momentum": {"uniform": [0, 0.5]}}}"#, "sample.count"),
        (#""sample": {"method": "random", "count": 2}"#, "sample.space"),
        (#""sample": {"method": "random", "count": 2, "space": {}}"#, "sample.space"),
        (#""sample": {"method": "random", "count": 2, "space": {"training.colour": {"uniform": [0, 1]}}}"#, #"sample.space["training.colour"]"#),
        (#""sample": {"method": "random", "count": 2, "space": {"training.momentum": {"normal": [0, 1]}}}"#, #"sample.space["training.momentum"]"#),
        (#""sample": {"method": "random", "count": 2, "space": {"training.momentum": {"uniform": [0.5, 0.1]}}}"#, #"sample.space["training.momentum"].uniform"#),
        (#""sample": {"method": "random", "count": 2, "space": {"training.learningRate": {"logUniform": [0, 0.1]}}}"#, #"sample.space["training.learningRate"].logUniform"#),
        (#""sample": {"method": "random", "count": 2, "space": {"training.batchSize": {"intUniform": [1.5, 8]}}}"#, #"sample.space["training.batchSize"].intUniform"#),
        (#""sample": {"method": "random", "count": 2, "space": {"model": {"choice": ["mlp", "mlp"]}}}"#, #"sample.space["model"].choice[1]"#),
        // A drawn value the job refuses is blamed on its field: momentum must be < 1.
        (#""sample": {"method": "random", "count": 50, "space": {"training.momentum": {"uniform": [0.9, 1.5]}}}"#, #"sample.space["training.momentum"]"#),
        (#""sample": {"method": "random", "count": 2, "space": {"training.momentum": {"uniform": [0, 0.5]}}, "extra": 1}"#, "sample.extra"),
        // Two points that give the same job.
        (#""sample": {"method": "random", "count": 5, "space": {"model": {"choice": ["mlp", "cnn-s"]}}}"#, "sample"),
    ]) func badSamplesNameTheirField(text: String, path: String) {
        let json = #"{"name": "s", \#(sweepBase), "seeds": [1], \#(text)}"#
        #expect { try sweep(json) } throws: { ($0 as? SweepError)?.path == path }
    }

    @Test func gridAndSampleMayNotVaryOneField() {
        let json = #"{"name": "s", \#(sweepBase), "seeds": [1], "grid": {"training.momentum": [0.5]}, "sample": {"method": "random", "count": 2, "space": {"training.momentum": {"uniform": [0, 0.5]}}}}"#
        #expect { try sweep(json) } throws: { ($0 as? SweepError)?.path == #"sample.space["training.momentum"]"# }
    }

    @Test func stagesSampleEachOnTheirOwn() throws {
        let s = try sweep(#"{"name": "s", "base": {"model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 3, "learningRate": 0.1}}, "seeds": [1], "stages": [{"name": "fp"}, {"name": "t", "from": "fp", "base": {"quantizer": {"kind": "tnn"}}, "sample": {"method": "sobol", "count": 4, "space": {"training.learningRate": {"logUniform": [0.001, 0.1]}}}}]}"#)
        #expect(s.jobs.count == 1 + 4)
        #expect(s.stages == ["fp", "t", "t", "t", "t"])
        #expect(s.jobs[1...].allSatisfy { $0.initFrom == s.jobs[0].configHash })
        #expect(s.sampled[0].isEmpty && s.sampled[1...].allSatisfy { $0.count == 1 })
        #expect { try sweep(#"{"name": "s", "base": {"model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 3, "learningRate": 0.1}}, "seeds": [1], "sample": {"method": "random", "count": 2, "space": {"training.momentum": {"uniform": [0, 0.5]}}}, "stages": [{"name": "fp"}]}"#) } throws: { ($0 as? SweepError)?.path == "sample" }
    }
}
