import ArgumentParser
import FATNNJobs
import FATNNVocabulary
import Foundation

extension Train {
    /// The job config the flags describe, checked by ``JobConfig/validated(from:path:)``; an
    /// invalid one is a `ValidationError` naming the flag (``flag(for:)``).
    func jobConfig() throws -> JobConfig {
        func number(_ v: Double) -> JSONValue { .number(v) }
        func int(_ v: Int) -> JSONValue { .number(Double(v)) }
        var dataset: [String: JSONValue] = ["name": .string(self.dataset), "splitSeed": int(splitSeed ?? seed)]
        if let folds {
            dataset["folds"] = int(folds)
            dataset["fold"] = int(fold)
        } else {
            dataset["validationFraction"] = number(valFraction)
        }
        if let trainLimit { dataset["trainLimit"] = int(trainLimit) }
        var params: [String: JSONValue] = [:]
        for (parameter, _, value) in quantizerFlags { params[parameter.rawValue] = number(value) }
        let training: [String: JSONValue] = [
            "epochs": int(epochs), "batchSize": int(batchSize), "learningRate": number(learningRate), "momentum": number(momentum),
            "nesterov": .bool(nesterov), "weightDecay": number(weightDecay), "schedule": .string(schedule), "optimizer": .string(optimizer),
            "warmupEpochs": int(warmupEpochs), "cropPadding": int(cropPadding), "horizontalFlip": .bool(horizontalFlip),
            "quantizerWarmupEpochs": int(quantizerWarmupEpochs),
        ]
        let document: JSONValue = .object([
            "model": .string(model), "dataset": .object(dataset), "seed": int(seed), "training": .object(training),
            "quantizer": .object(["kind": .string(quantizer), "params": .object(params)]),
        ])
        do { return try JobConfig.validated(from: document) } catch {
            throw ValidationError("\(flag(for: error.path)): \(error.message)")
        }
    }

    /// The quantizer parameters given on the command line, with their flags.
    var quantizerFlags: [(parameter: QuantizerParameter, flag: String, value: Double)] {
        let given: [(QuantizerParameter, String, Double?)] = [
            (.activationInit, "--activation-init", activationInit),
            (.activationInitFromData, "--activation-init-from-data", activationInitFromData ? 1 : nil),
            (.weightInit, "--weight-init", weightInit),
            (.perChannelActivations, "--per-channel-activations", perChannelActivations ? 1 : nil),
            (.perChannelWeights, "--per-channel-weights", perChannelWeights ? 1 : nil),
        ]
        return given.compactMap { p, flag, v in v.map { (p, flag, $0) } }
    }

    /// The flag that sets the config field at JSON path `path` (the path itself if none does).
    func flag(for path: String) -> String {
        let flags = [
            "model": "--model", "dataset.name": "--dataset", "dataset.validationFraction": "--val-fraction",
            "dataset.splitSeed": splitSeed == nil ? "--seed" : "--split-seed", "dataset.trainLimit": "--train-limit",
            "dataset.folds": "--folds", "dataset.fold": "--fold", "quantizer.kind": "--quantizer", "seed": "--seed",
            "training.epochs": "--epochs", "training.batchSize": "--batch-size", "training.learningRate": "--lr",
            "training.optimizer": "--optimizer", "training.momentum": "--momentum", "training.nesterov": "--nesterov",
            "training.weightDecay": "--weight-decay", "training.schedule": "--schedule", "training.warmupEpochs": "--warmup-epochs",
            "training.cropPadding": "--crop-padding", "training.horizontalFlip": "--horizontal-flip",
            "training.quantizerWarmupEpochs": "--quantizer-warmup-epochs",
        ]
        if let f = flags[path] { return f }
        if let given = quantizerFlags.first(where: { "quantizer.params." + $0.parameter.rawValue == path }) { return given.flag }
        return path
    }

    static func defaultText(_ p: QuantizerParameter) -> String { String(format: "%g", p.defaultValue) }

    static func valuesText(_ p: QuantizerParameter) -> String {
        switch p.values {
        case .number(let r): String(format: "%g...%g", r.lowerBound, r.upperBound)
        case .onOff: "on/off"
        }
    }
}
