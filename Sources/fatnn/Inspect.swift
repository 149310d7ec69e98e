import ArgumentParser
import FATNNEngine
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a saved model is and what its quantizers learned.",
        discussion: """
            Prints the architecture, dataset, quantizer settings and tensor count, then for every \
            quantized convolution: the activation thresholds (a code is the number of thresholds \
            strictly below the input; per-channel quantizers show the median over channels), the \
            weight thresholds on standardized weights (fatnn), and how the weight codes are \
            distributed.
            """)

    @Argument(help: ArgumentHelp("Model file written by 'fatnn train --output' or fetched from a coordinator.", valueName: "model"))
    var modelFile: String

    func run() throws {
        let file = try ModelFile.read(from: modelFile)
        let q = file.quantizer
        let count = file.model.parameters.reduce(0) { $0 + $1.value.count }
        print("\(modelFile): \(file.architecture.rawValue) on \(file.dataset.rawValue) (\(file.input)), quantizer \(q.kind.rawValue), \(count) parameters")
        if !q.kind.parameters.isEmpty {  // the settings its quantizer.params set
            print("  initial α: activations \(q.activationInitFromData ? "from the first training batch" : "\(q.activationInit)"), weights \(q.weightInit); per-channel activations \(q.perChannelActivations), weights \(q.perChannelWeights)")
        }
        if let t = file.training { print("  training checkpoint after epoch \(t.epoch)") }
        for layer in QuantizerReport(file.model).layers {
            let act = layer.activationThresholds.map { String(format: "%.3f", $0) }.joined(separator: ", ")
            let wt = layer.weightThresholds.map { String(format: "  weight thresholds %.3f / +%.3f", $0.0, $0.1) } ?? ""
            let codes = layer.weightCodes.map { String(format: "%+d: %.1f%%", $0.code, $0.fraction * 100) }.joined(separator: "  ")
            print("  \(layer.name): activation thresholds \(act)\(wt)  weight codes \(codes)")
        }
    }
}
