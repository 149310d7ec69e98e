@testable import FATNNJobs
import Foundation
import Testing

/// Config hashes are SHA-256 of the canonical JSON: the fast encoder must write exactly the
/// bytes `JSONEncoder` writes, or stored jobs would stop matching resubmitted ones.
@Suite struct CanonicalEncoderTests {
    static let jobsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Jobs").standardized.path

    func expectSameBytes(_ configs: [JobConfig], sourceLocation: SourceLocation = #_sourceLocation) {
        var fast = CanonicalEncoder()
        for c in configs {
            let reference = JobConfig.encodedCanonically(c)
            #expect(fast.json(c) == reference, sourceLocation: sourceLocation)
            var zero = c
            zero.seed = 0
            #expect(fast.json(zero) == JobConfig.encodedCanonically(zero), sourceLocation: sourceLocation)
        }
    }

    @Test func everySweepFileInJobsEncodesAsJSONEncoderDoes() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.jobsFolder).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 5)
        for file in files {
            let sweep = try Sweep.parse(try Data(contentsOf: URL(fileURLWithPath: Self.jobsFolder + "/" + file)))
            expectSameBytes(sweep.jobs)
        }
    }

    @Test func unusualValuesEncodeAsJSONEncoderDoes() throws {
        let sweep = try Sweep.parse(Data("""
            { "name": "odd", "base": { "model": "resnet20",
                "dataset": {"name": "cifar10", "validationFraction": 0.125, "splitSeed": 7, "trainLimit": 12345},
                "quantizer": {"kind": "fatnn", "params": {"activationInit": 0.333333333333, "weightInit": 1.0000001, "perChannelWeights": 1}},
                "training": {"epochs": 3, "batchSize": 100, "learningRate": 0.000123, "optimizer": "adam", "momentum": 0.95, "weightDecay": 1e-07,
                             "schedule": "cosine", "warmupEpochs": 1, "cropPadding": 4, "horizontalFlip": true, "quantizerWarmupEpochs": 2} },
              "grid": {"training.learningRate": [0.1, 1e-05, 3.0e-3, 9.999999999]}, "seeds": [0, 1, 2147483647] }
            """.utf8))
        expectSameBytes(sweep.jobs)
        var withParent = sweep.jobs[0]
        withParent.initFrom = String(repeating: "ab", count: 32)
        var folds = sweep.jobs[1]
        folds.dataset.folds = 5
        folds.dataset.fold = 4
        folds.dataset.trainLimit = nil
        // Strings JSON must escape take the JSONEncoder path whole (only initFrom can hold one:
        // every other string is a vocabulary name).
        var odd = sweep.jobs[2]
        odd.initFrom = "a\"b/c\\d é"
        expectSameBytes([withParent, folds, odd])
        #expect(!CanonicalEncoder.isPlain(odd.initFrom ?? ""))
    }

    /// The SHA-256 (by `sha256sum`) of the canonical JSON the code before the fast encoder
    /// (commit 8b447c0) printed for this sweep with `submit --dry-run`: catches any change of the
    /// canonical bytes.
    @Test func aKnownConfigKeepsItsHash() throws {
        let job = try Sweep.parse(Data(#"{"name":"h","base":{"model":"mlp","dataset":{"name":"fashion-mnist"},"training":{"epochs":1,"learningRate":0.1}},"seeds":[3]}"#.utf8)).jobs[0]
        #expect(job.configHash == Self.knownHash)
    }
    static let knownHash = "046998452ca5449acb3cadb751d51098b916e71027c674886a2710021bccc426"
}
