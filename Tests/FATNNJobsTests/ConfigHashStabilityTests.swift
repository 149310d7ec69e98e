@testable import FATNNJobs
import FATNNVocabulary
import Foundation
import Testing

/// Config hashes identify experiments in every store: the typed vocabulary (issue 21) must give
/// every job the bytes, and so the hashes, it had before. `Fixtures/config-hashes-2026-12-05.json`
/// holds 27 job documents with the canonical JSON, config hash and group hash that commit
/// f94caaa's code (strings, before the vocabulary module) gave them, recorded before the change.
@Suite struct ConfigHashStabilityTests {
    struct Recorded: Decodable {
        let document: String, canonicalJSON: String, configHash: String, groupHash: String
    }

    static let recorded: [Recorded] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/config-hashes-2026-12-05.json")
        guard let data = try? Data(contentsOf: url), let rows = try? JSONDecoder().decode([Recorded].self, from: data) else { return [] }
        return rows
    }()

    @Test func everyRecordedConfigKeepsItsBytesAndHashes() throws {
        #expect(Self.recorded.count == 27)
        for r in Self.recorded {
            let config = try JobConfig.validated(from: try JSONDecoder().decode(JSONValue.self, from: Data(r.document.utf8)))
            #expect(config.canonicalJSON == r.canonicalJSON, "\(r.document)")
            #expect(config.configHash == r.configHash, "\(r.document)")
            #expect(config.groupHash == r.groupHash, "\(r.document)")
            #expect(config.identity.configHash == r.configHash && config.identity.groupHash == r.groupHash)
            // Stored rows decode to the same config (the store and the claim read them back).
            #expect(try JobConfig.fromCanonical(r.canonicalJSON) == config)
            #expect(try config.revalidated() == config)
        }
    }

    /// The fixture covers every name that existed when it was recorded, so each raw value is
    /// checked against bytes written before the change.
    @Test func theFixtureCoversTheWholeVocabularyOfItsTime() throws {
        let configs = try Self.recorded.map { try JobConfig.fromCanonical($0.canonicalJSON) }
        #expect(Set(configs.map(\.model.rawValue)) == ["mlp", "cnn-s", "resnet20"])
        #expect(Set(configs.map(\.dataset.name.rawValue)) == ["fashion-mnist", "mnist", "cifar10"])
        #expect(Set(configs.map(\.quantizer.kind.rawValue)) == ["fp", "fatnn", "tnn", "lsq2", "fatnn-a2", "binary"])
        #expect(Set(configs.flatMap(\.quantizer.params.keys).map(\.rawValue))
                == ["activationInit", "activationInitFromData", "weightInit", "perChannelActivations", "perChannelWeights"])
        #expect(Set(configs.map(\.training.optimizer.rawValue)) == ["sgd", "adam"])
        #expect(Set(configs.map(\.training.schedule.rawValue)) == ["constant", "cosine"])
        #expect(configs.contains { $0.initFrom != nil } && configs.contains { $0.dataset.folds != nil })
    }

    /// `quantizer.params`, keyed by ``QuantizerParameter``, encodes as an object with the raw
    /// names as keys, in sorted order, as the string-keyed dictionary did.
    @Test func parametersEncodeAsAnObjectOfRawNames() throws {
        let spec = JobConfig.QuantizerSpec(kind: .fatnnA2, params: [.weightInit: 0.5, .activationInitFromData: 1])
        #expect(JobConfig.encodedCanonically(spec) == #"{"kind":"fatnn-a2","params":{"activationInitFromData":1,"weightInit":0.5}}"#)
        #expect(try JSONDecoder().decode(JobConfig.QuantizerSpec.self, from: Data(JobConfig.encodedCanonically(spec).utf8)) == spec)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(JobConfig.QuantizerSpec.self, from: Data(#"{"kind":"fatnn","params":{"nope":1}}"#.utf8))
        }
    }
}
