import FATNNJobs
import Foundation
import Testing

@Suite struct SweepExpansionTests {
    @Test func gridTimesSeeds() throws {
        let s = try sweep("""
            { "name": "a", \(sweepBase), "grid": {"training.learningRate": [0.05, 0.1, 0.2], "training.batchSize": [64, 128]}, "seeds": [1, 2, 3] }
            """)
        #expect(s.jobs.count == 3 * 2 * 3)
        #expect(Set(s.jobs.map(\.configHash)).count == 18)
        // Sorted key order: batchSize varies slowest, seeds fastest.
        #expect(s.jobs.prefix(3).map(\.seed) == [1, 2, 3])
        #expect(s.jobs[0].training.batchSize == 64 && s.jobs[0].training.learningRate == 0.05)
        #expect(s.jobs[3].training.learningRate == 0.1)
        #expect(s.jobs[9].training.batchSize == 128)
    }

    @Test func noGridGivesOneJobPerSeed() throws {
        let s = try sweep(#"{ "name": "b", \#(sweepBase), "seeds": [7] }"#)
        #expect(s.jobs.count == 1)
        #expect(s.jobs[0].seed == 7)
        #expect(s.jobs[0].training.batchSize == 128)
        #expect(s.jobs[0].quantizer.kind == .fp)
        #expect(s.jobs[0].dataset.validationFraction == 0.1)
    }

    @Test func hashIgnoresKeyOrderAndExplicitDefaults() throws {
        let a = try sweep(#"{ "name": "h", \#(sweepBase), "seeds": [1] }"#).jobs[0]
        let b = try sweep("""
            { "seeds": [1], "name": "h", "base": { "training": {"learningRate": 0.1, "momentum": 0.9, "epochs": 2},
              "quantizer": {"kind": "fp"}, "dataset": {"splitSeed": 0, "name": "fashion-mnist"}, "model": "mlp" } }
            """).jobs[0]
        #expect(a == b)
        #expect(a.configHash == b.configHash)
        #expect(a.configHash.count == 64)
    }

    @Test func seedChangesConfigHashButNotGroupHash() throws {
        let s = try sweep(#"{ "name": "g", \#(sweepBase), "seeds": [1, 2] }"#)
        #expect(s.jobs[0].configHash != s.jobs[1].configHash)
        #expect(s.jobs[0].groupHash == s.jobs[1].groupHash)
    }

    @Test func canonicalJSONRoundTrips() throws {
        let job = try sweep(#"{ "name": "r", \#(sweepBase), "seeds": [3] }"#).jobs[0]
        #expect(try JobConfig.fromCanonical(job.canonicalJSON) == job)
    }

    @Test func repositoryExamplesAreValid() throws {
        let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Jobs").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: jobs.path).filter { $0.hasSuffix(".json") }
        #expect(files.contains("quickstart.json"))
        for f in files {
            let s = try Sweep.parse(Data(contentsOf: jobs.appendingPathComponent(f)))
            #expect(!s.jobs.isEmpty, "\(f)")
        }
        let quick = try Sweep.parse(Data(contentsOf: jobs.appendingPathComponent("quickstart.json")))
        #expect(quick.jobs.count >= 4)
        #expect(Set(quick.jobs.map(\.training.learningRate)).count >= 2)
        #expect(Set(quick.jobs.map(\.seed)).count >= 2)
    }
}
