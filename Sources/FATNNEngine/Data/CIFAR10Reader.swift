import Foundation

/// Reader for CIFAR-10's binary version: each record is 1 label byte and 3,072 pixel bytes
/// (1,024 red, 1,024 green, 1,024 blue, row-major 32x32), 10,000 records per batch file.
public enum CIFAR10Reader {
    /// Bytes per record.
    public static let recordSize = 1 + 3 * 32 * 32

    /// Records from one batch file (gzip or raw).
    ///
    /// - Throws: `DataError` naming the file when its size is not a whole number of records or a
    ///   label is out of range.
    public static func read(path: String) throws -> LabeledImages {
        let bytes = try FileReader.readAll(path)
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw DataError.malformed(path: path, reason: "\(bytes.count) bytes is not a whole number of \(recordSize)-byte CIFAR-10 records (truncated or not CIFAR-10 binary)")
        }
        let n = bytes.count / recordSize
        var labels = [UInt8](repeating: 0, count: n)
        var pixels = [UInt8](repeating: 0, count: n * (recordSize - 1))
        for r in 0..<n {
            let label = bytes[r * recordSize]
            guard label < 10 else { throw DataError.malformed(path: path, reason: "record \(r) has label \(label), outside 0..<10") }
            labels[r] = label
            pixels.replaceSubrange(r * (recordSize - 1)..<(r + 1) * (recordSize - 1),
                                   with: bytes[(r * recordSize + 1)..<((r + 1) * recordSize)])
        }
        return LabeledImages(count: n, height: 32, width: 32, channels: 3, pixels: pixels, labels: labels)
    }

    /// The five training batches and the test batch from `directory` (or its
    /// `cifar-10-batches-bin` subfolder, as the archive unpacks).
    public static func load(directory: String) throws -> Dataset {
        var dir = directory
        let sub = (directory as NSString).appendingPathComponent("cifar-10-batches-bin")
        if FileManager.default.fileExists(atPath: sub) { dir = sub }
        let parts = try (1...5).map { try read(path: Dataset.locate(dir, "data_batch_\($0).bin")) }
        let train = LabeledImages(count: parts.reduce(0) { $0 + $1.count }, height: 32, width: 32, channels: 3,
                                  pixels: parts.flatMap(\.pixels), labels: parts.flatMap(\.labels))
        let test = try read(path: Dataset.locate(dir, "test_batch.bin"))
        return Dataset(name: .cifar10, train: train, test: test)
    }
}
