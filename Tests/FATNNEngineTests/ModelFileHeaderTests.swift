@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

@Suite struct ModelFileHeaderTests {
    @Test func rejectsHeadersThatDoNotFitTheDataset() throws {
        let header = #"{"architecture":"mlp","dataset":"fashion-mnist","input":{"channels":1,"height":28,"width":28},"classes":5,"tensors":[]}"#
        var bytes = ModelFile.magic
        let n = UInt32(header.utf8.count)
        bytes += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
        bytes += Array(header.utf8)
        let crc = ModelFile.crc(bytes)
        bytes += [UInt8(crc & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc >> 16 & 0xff), UInt8(crc >> 24)]
        let path = IDXFixtures.temporaryDirectory() + "/crafted.fatnn"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: DataError.malformed(path: path, reason: "classes is 5; dataset fashion-mnist has 10")) {
            try ModelFile.read(from: path)
        }
    }
}
