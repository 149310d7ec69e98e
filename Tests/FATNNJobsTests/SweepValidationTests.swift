import FATNNJobs
import Foundation
import Testing

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
        let e = error(#"{ "name": "x", \#(sweepBase), "grid": {"training.epochs": [1, -3]}, "seeds": [1] }"#)
        #expect(e?.path == #"grid["training.epochs"][1]"#)
        #expect(e?.message.contains("out of range") == true)
    }

    @Test func unknownGridKeyPath() {
        let e = error(#"{ "name": "x", \#(sweepBase), "grid": {"training.lr": [0.1]}, "seeds": [1] }"#)
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
        let e = error(#"{ "name": "x", \#(sweepBase), "grid": {"training.epochs": [\#(values)], "dataset.splitSeed": [\#(values)]}, "seeds": [1] }"#)
        #expect(e?.path == "grid")
        #expect(e?.message.contains("limit") == true)
    }
}
