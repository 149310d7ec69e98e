import CZlib
import Foundation

/// Writes small IDX datasets (raw or gzip) into a temporary directory for tests (shared by the
/// engine and end-to-end tests).
public enum IDXFixtures {
    public static func temporaryDirectory() -> String {
        let dir = NSTemporaryDirectory() + "fatnn-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    public static func imagesFile(count: Int, rows: Int, cols: Int, pixels: [UInt8]) -> [UInt8] {
        be32(0x0803) + be32(UInt32(count)) + be32(UInt32(rows)) + be32(UInt32(cols)) + pixels
    }

    public static func labelsFile(_ labels: [UInt8]) -> [UInt8] { be32(0x0801) + be32(UInt32(labels.count)) + labels }

    public static func write(_ bytes: [UInt8], to path: String, gzip: Bool) {
        if gzip {
            let f = gzopen(path, "wb")!
            _ = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
            gzclose(f)
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        }
    }

    /// A separable 10-class set: class k images are bright in band k.
    public static func bands(count: Int, seed: UInt64) -> (pixels: [UInt8], labels: [UInt8]) {
        var state = seed
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        var pixels = [UInt8](), labels = [UInt8]()
        for _ in 0..<count {
            let k = Int(next() % 10)
            labels.append(UInt8(k))
            for r in 0..<28 { for _ in 0..<28 { pixels.append(r / 3 == k ? UInt8(150 + next() % 100) : UInt8(next() % 60)) } }
        }
        return (pixels, labels)
    }

    /// A full dataset directory in the Fashion-MNIST file layout.
    public static func dataset(train: Int, test: Int, gzip: Bool) -> String {
        let dir = temporaryDirectory()
        let ext = gzip ? ".gz" : ""
        let a = bands(count: train, seed: 1), b = bands(count: test, seed: 2)
        write(imagesFile(count: train, rows: 28, cols: 28, pixels: a.pixels), to: "\(dir)/train-images-idx3-ubyte\(ext)", gzip: gzip)
        write(labelsFile(a.labels), to: "\(dir)/train-labels-idx1-ubyte\(ext)", gzip: gzip)
        write(imagesFile(count: test, rows: 28, cols: 28, pixels: b.pixels), to: "\(dir)/t10k-images-idx3-ubyte\(ext)", gzip: gzip)
        write(labelsFile(b.labels), to: "\(dir)/t10k-labels-idx1-ubyte\(ext)", gzip: gzip)
        return dir
    }

    private static func be32(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
}
