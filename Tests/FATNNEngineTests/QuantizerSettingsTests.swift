@testable import FATNNEngine
import FATNNVocabulary
import Testing

/// The engine's side of the vocabulary's parameter table: every parameter sets its own field,
/// and the table's defaults are the engine's defaults.
@Suite struct QuantizerSettingsTests {
    /// A value of `p` other than its default.
    static func otherValue(_ p: QuantizerParameter) -> Double {
        switch p.values {
        case .onOff: 1 - p.defaultValue
        case .number(let r): p.defaultValue == r.upperBound ? r.lowerBound : r.upperBound
        }
    }

    @Test(arguments: QuantizerKind.allCases)
    func everyParameterOfAKindSetsItsOwnSetting(kind: QuantizerKind) {
        let defaults = QuantizerSettings(kind: kind)
        #expect(QuantizerSettings(kind: kind, parameters: [:]) == defaults)
        var changed: [QuantizerSettings] = []
        for p in kind.parameters {
            #expect(QuantizerSettings(kind: kind, parameters: [p: p.defaultValue]) == defaults, "\(p)'s default is the engine's")
            let s = QuantizerSettings(kind: kind, parameters: [p: Self.otherValue(p)])
            #expect(s != defaults, "\(p) changes a setting")
            changed.append(s)
        }
        // Distinct parameters change distinct settings.
        #expect(Set(changed).count == kind.parameters.count)
        #expect(defaults.problem == nil)
    }

    @Test func settingsFromAllParametersBuildEveryQuantizableModel() {
        for kind in QuantizerKind.allCases where kind.quantizes {
            let s = QuantizerSettings(kind: kind, parameters: Dictionary(uniqueKeysWithValues: kind.parameters.map { ($0, Self.otherValue($0)) }))
            for arch in ModelArchitecture.allCases where arch.supports(kind) {
                #expect(!arch.build(input: DatasetName.mnist.imageShape, classes: 10, seed: 1, quantizer: s).parameters.isEmpty)
            }
        }
    }
}
