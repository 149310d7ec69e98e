@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

@Suite struct CIFAR10ReaderTests {
    @Test func readsBatchesAndRejectsTruncation() throws {
        let dir = IDXFixtures.temporaryDirectory() + "/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func batch(_ n: Int, _ offset: Int) -> [UInt8] {
            (0..<n).flatMap { r in [UInt8((r + offset) % 10)] + (0..<3072).map { UInt8(truncatingIfNeeded: $0 &+ r) } }
        }
        for b in 1...5 { IDXFixtures.write(batch(3, b), to: "\(dir)/data_batch_\(b).bin", gzip: false) }
        IDXFixtures.write(batch(4, 0), to: "\(dir)/test_batch.bin", gzip: true)
        let d = try Dataset.load(.cifar10, directory: (dir as NSString).deletingLastPathComponent)
        #expect(d.train.count == 15 && d.test.count == 4 && d.train.shape == ImageShape(channels: 3, height: 32, width: 32))
        #expect(d.train.labels.prefix(3) == [1, 2, 3] && d.test.labels == [0, 1, 2, 3])
        #expect(Array(d.test.pixels[3072..<3075]) == [1, 2, 3])
        let (x, _) = DatasetName.cifar10.normalization.batch(d.test, indices: [0][...])
        #expect(abs(x.data[0] - (0 - 0.4914) / 0.2470) < 1e-5 && abs(x.data[1024] - (0 - 0.4822) / 0.2435) < 1e-5)

        IDXFixtures.write(Array(batch(2, 0).dropLast(10)), to: "\(dir)/data_batch_3.bin", gzip: false)
        #expect(throws: DataError.malformed(path: "\(dir)/data_batch_3.bin", reason: "6136 bytes is not a whole number of 3073-byte CIFAR-10 records (truncated or not CIFAR-10 binary)")) {
            try Dataset.load(.cifar10, directory: dir)
        }
    }
}
