import FATNNJobs
import Foundation
import Testing

private func sweep(_ json: String) throws(SweepError) -> Sweep { try Sweep.parse(Data(json.utf8)) }

private let base = """
    "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1} }
    """

@Suite struct SweepExpansionTests {
    @Test func gridTimesSeeds() throws {
        let s = try sweep("""
            { "name": "a", \(base), "grid": {"training.learningRate": [0.05, 0.1, 0.2], "training.batchSize": [64, 128]}, "seeds": [1, 2, 3] }
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
        let s = try sweep(#"{ "name": "b", \#(base), "seeds": [7] }"#)
        #expect(s.jobs.count == 1)
        #expect(s.jobs[0].seed == 7)
        #expect(s.jobs[0].training.batchSize == 128)
        #expect(s.jobs[0].quantizer.kind == .fp)
        #expect(s.jobs[0].dataset.validationFraction == 0.1)
    }

    @Test func hashIgnoresKeyOrderAndExplicitDefaults() throws {
        let a = try sweep(#"{ "name": "h", \#(base), "seeds": [1] }"#).jobs[0]
        let b = try sweep("""
            { "seeds": [1], "name": "h", "base": { "training": {"learningRate": 0.1, "momentum": 0.9, "epochs": 2},
              "quantizer": {"kind": "fp"}, "dataset": {"splitSeed": 0, "name": "fashion-mnist"}, "model": "mlp" } }
            """).jobs[0]
        #expect(a == b)
        #expect(a.configHash == b.configHash)
        #expect(a.configHash.count == 64)
    }

    @Test func seedChangesConfigHashButNotGroupHash() throws {
        let s = try sweep(#"{ "name": "g", \#(base), "seeds": [1, 2] }"#)
        #expect(s.jobs[0].configHash != s.jobs[1].configHash)
        #expect(s.jobs[0].groupHash == s.jobs[1].groupHash)
    }

    @Test func canonicalJSONRoundTrips() throws {
        let job = try sweep(#"{ "name": "r", \#(base), "seeds": [3] }"#).jobs[0]
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

@Suite struct SweepValidationTests {
    private func error(_ json: String) -> SweepError? {
        do { _ = try sweep(json); return nil } catch { return error }
    }

    @Test func unknownFieldNamesItsPath() {
        let e = error(#"{ "name": "x", "base": { "model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0.1, "lerningRate": 2} }, "seeds": [1] }"#)
        #expect(e?.path == "base.training.lerningRate")
        #expect(e?.message == "unknown field")
    }

    @Test func disallowedValueListsAllowedValues() {
        let e = error(#"{ "name": "x", "base": { "model": "vgg", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0.1} }, "seeds": [1] }"#)
        #expect(e?.path == "base.model")
        #expect(e?.message.contains("allowed: mlp") == true)
    }

    @Test func badGridValuePointsAtIt() {
        let e = error(#"{ "name": "x", \#(base), "grid": {"training.epochs": [1, -3]}, "seeds": [1] }"#)
        #expect(e?.path == #"grid["training.epochs"][1]"#)
        #expect(e?.message.contains("out of range") == true)
    }

    @Test func unknownGridKeyPath() {
        let e = error(#"{ "name": "x", \#(base), "grid": {"training.lr": [0.1]}, "seeds": [1] }"#)
        #expect(e?.path == #"grid["training.lr"]"#)
        #expect(e?.message.contains("training.learningRate") == true)
    }

    @Test(arguments: [
        (#"{ "name": "x", "base": {} }"#, "seeds"),
        (#"{ "name": "x", "base": {"model": "mlp"}, "seeds": [] }"#, "seeds"),
        (#"{ "name": "x", "base": {"model": "mlp"}, "seeds": [1, 1] }"#, "seeds[1]"),
        (#"{ "name": "x", "base": {"model": "mlp"}, "seeds": [1.5] }"#, "seeds[0]"),
        (#"{ "name": "bad name", "base": {}, "seeds": [1] }"#, "name"),
        (#"{ "name": "x", "seeds": [1] }"#, "base"),
        (#"{ "name": "x", "base": {"model": "mlp", "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#, "base.dataset"),
        (#"{ "name": "x", "base": {"model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0}}, "seeds": [1] }"#, "base.training.learningRate"),
        (#"{ "name": "x", "base": {"model": "mlp", "dataset": {"name": "mnist", "validationFraction": 0.9}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#, "base.dataset.validationFraction"),
        (#"{ "name": "x", "base": {"model": "mlp", "dataset": {"name": "mnist"}, "quantizer": {"kind": "fp", "params": {"a": 1}}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#, "base.quantizer.params.a"),
        (#"{ "name": "x", "base": {"model": "mlp", "dataset": {"name": "mnist"}, "quantizer": {"kind": "fatnn"}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#, "base.quantizer.kind"),
        (#"{ "name": "x", "base": {"model": "cnn-s", "dataset": {"name": "mnist"}, "quantizer": {"kind": "tnn", "params": {"weightInit": 1}}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#, "base.quantizer.params.weightInit"),
        (#"{ "name": "x", "base": {"model": "cnn-s", "dataset": {"name": "mnist"}, "quantizer": {"kind": "fatnn", "params": {"alpha": 1}}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#, "base.quantizer.params.alpha"),
        (#"{ "name": "x", "base": {"model": "cnn-s", "dataset": {"name": "mnist"}, "quantizer": {"kind": "fatnn", "params": {"perChannelWeights": 0.5}}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#, "base.quantizer.params.perChannelWeights"),
        (#"{ "name": "x", "base": {"model": "cnn-s", "dataset": {"name": "mnist"}, "quantizer": {"kind": "fatnn-a2", "params": {"activationInit": 0}}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#, "base.quantizer.params.activationInit"),
        (#"{ "name": "x", "base": [], "seeds": [1] }"#, "base"),
        (#"{ "name": "x", "base": {"model": "mlp"}, "grid": {"model": []}, "seeds": [1] }"#, #"grid["model"]"#),
        (#"{ "name": "x", "base": {"model": "mlp"}, "seeds": [1], "extra": 1 }"#, "extra"),
    ])
    func rejected(json: String, path: String) {
        #expect(error(json)?.path == path, "\(json)")
    }

    @Test func invalidJSONIsReported() {
        let e = error(#"{ "name": "x", "#)
        #expect(e?.message.hasPrefix("not valid JSON") == true)
    }

    @Test func tooManyJobs() {
        let values = (1...317).map(String.init).joined(separator: ",")  // 317 x 317 > 100,000
        let e = error(#"{ "name": "x", \#(base), "grid": {"training.epochs": [\#(values)], "dataset.splitSeed": [\#(values)]}, "seeds": [1] }"#)
        #expect(e?.path == "grid")
        #expect(e?.message.contains("limit") == true)
    }
}

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1000)).count == 64)
    }
}


@Suite struct SweepLimitTests {
    @Test func hugeGridIsRejectedWithoutOverflow() {
        let axes = (0..<64).map { #""quantizer.params.k\#($0)": [0, 1]"# }.joined(separator: ", ")
        do {
            _ = try Sweep.parse(Data(#"{ "name": "x", \#(base), "grid": {\#(axes)}, "seeds": [1, 2] }"#.utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.path == "grid" && error.message.contains("100000"))
        }
    }

    @Test func revalidatedAcceptsItsOwnCanonicalForm() throws {
        let job = try Sweep.parse(Data(#"{ "name": "x", \#(base), "seeds": [4] }"#.utf8)).jobs[0]
        #expect(try job.revalidated() == job)
        var bad = job
        bad.training.epochs = -1
        #expect(throws: SweepError.self) { try bad.revalidated() }
    }
}

@Suite struct TrainingFieldTests {
    @Test func warmupAndAdamAreValidatedAndKeepOldHashesAtDefaults() throws {
        let plain = try Sweep.parse(Data(#"{ "name": "w", \#(base), "seeds": [1] }"#.utf8)).jobs[0]
        let zero = try Sweep.parse(Data(#"{ "name": "w", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1, "warmupEpochs": 0} }, "seeds": [1] }"#.utf8)).jobs[0]
        #expect(plain.configHash == zero.configHash)
        #expect(!plain.canonicalJSON.contains("warmupEpochs"))
        let adam = try Sweep.parse(Data(#"{ "name": "w", \#(base), "grid": {"training.optimizer": ["sgd", "adam"], "training.warmupEpochs": [1]}, "seeds": [1] }"#.utf8)).jobs
        #expect(adam.map(\.training.optimizer) == [.sgd, .adam] && adam.allSatisfy { $0.training.warmupEpochs == 1 })
        do {
            _ = try Sweep.parse(Data(#"{ "name": "w", \#(base), "grid": {"training.warmupEpochs": [2]}, "seeds": [1] }"#.utf8))
            Issue.record("warm-up as long as training accepted")
        } catch {
            #expect(error.path == #"grid["training.warmupEpochs"][0]"#)
        }
    }
}

@Suite struct AugmentationFieldTests {
    @Test func defaultsKeepTheHashAndValuesAreChecked() throws {
        let plain = try Sweep.parse(Data(#"{ "name": "a", \#(base), "seeds": [1] }"#.utf8)).jobs[0]
        let explicit = try Sweep.parse(Data(#"{ "name": "a", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1, "cropPadding": 0, "horizontalFlip": false} }, "seeds": [1] }"#.utf8)).jobs[0]
        #expect(plain.configHash == explicit.configHash)
        let grid = try Sweep.parse(Data(#"{ "name": "a", \#(base), "grid": {"training.cropPadding": [0, 4], "training.horizontalFlip": [true]}, "seeds": [1] }"#.utf8)).jobs
        #expect(grid.map(\.training.cropPadding) == [nil, 4] && grid.allSatisfy { $0.training.horizontalFlip == true })
        #expect(throws: SweepError.self) { try Sweep.parse(Data(#"{ "name": "a", \#(base), "grid": {"training.cropPadding": [17]}, "seeds": [1] }"#.utf8)) }
    }
}

@Suite struct KFoldFieldTests {
    private func job(_ dataset: String) throws(SweepError) -> [JobConfig] {
        try Sweep.parse(Data(#"{ "name": "k", "base": { "model": "mlp", "dataset": \#(dataset), "training": {"epochs": 1, "learningRate": 0.1} }, "grid": {"dataset.fold": [0, 1, 2]}, "seeds": [1] }"#.utf8)).jobs
    }

    @Test func foldsExpandAndLabel() throws {
        let jobs = try job(#"{"name": "mnist", "folds": 3}"#)
        #expect(jobs.map(\.dataset.fold) == [0, 1, 2] && jobs.allSatisfy { $0.dataset.validationFraction == 1.0 / 3 })
        #expect(jobs[1].splitLabel == "fold 1/3 s0")
        #expect(Set(jobs.map(\.configHash)).count == 3)
    }

    @Test(arguments: [
        (#"{"name": "mnist", "folds": 3, "validationFraction": 0.2}"#, "base.dataset.folds"),
        (#"{"name": "mnist", "folds": 2}"#, #"grid["dataset.fold"][2]"#),
        (#"{"name": "mnist"}"#, #"grid["dataset.fold"][0]"#),
    ])
    func inconsistentFoldsAreRejected(dataset: String, path: String) {
        do { _ = try job(dataset); Issue.record("accepted \(dataset)") } catch { #expect(error.path == path, "\(error)") }
    }
}
