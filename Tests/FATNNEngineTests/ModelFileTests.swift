@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

@Suite struct ModelFileTests {
    private func trainedFile() throws -> (String, Sequential) {
        let model = ModelArchitecture.mlp.build(input: ImageShape(channels: 1, height: 28, width: 28), classes: 10, seed: 5)
        for (i, b) in model.buffers.enumerated() { b.value = b.value.map { $0 + Float(i) * 0.25 } }
        let path = IDXFixtures.temporaryDirectory() + "/m.fatnn"
        try ModelFile(architecture: .mlp, dataset: .fashionMNIST, input: ImageShape(channels: 1, height: 28, width: 28), model: model).write(to: path)
        return (path, model)
    }

    @Test func roundTripsEveryTensor() throws {
        let (path, model) = try trainedFile()
        let loaded = try ModelFile.read(from: path)
        #expect(loaded.architecture == .mlp && loaded.dataset == .fashionMNIST)
        #expect(loaded.model.parameters.map(\.value) == model.parameters.map(\.value))
        #expect(loaded.model.buffers.map(\.value) == model.buffers.map(\.value))
    }

    @Test func rejectsAlteredTruncatedAndForeignFiles() throws {
        let (path, _) = try trainedFile()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path + ".altered"))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path + ".cut"))
        try Data("hello world, not a model".utf8).write(to: URL(fileURLWithPath: path + ".txt"))
        for (suffix, why) in [(".altered", "checksum"), (".cut", "checksum"), (".txt", "bad magic")] {
            do {
                _ = try ModelFile.read(from: path + suffix)
                Issue.record("\(suffix) accepted")
            } catch let e as DataError {
                #expect(e.description.hasPrefix(path + suffix) && e.description.contains(why), "\(e)")
            }
        }
    }
}
