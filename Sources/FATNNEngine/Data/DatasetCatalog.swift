import FATNNVocabulary
import Foundation

/// How the engine reads the datasets (``DatasetName``, the shared vocabulary).
extension DatasetName {
    /// Shape of one image.
    public var imageShape: ImageShape {
        switch self {
        case .fashionMNIST, .mnist: return ImageShape(channels: 1, height: 28, width: 28)
        case .cifar10: return ImageShape(channels: 3, height: 32, width: 32)
        }
    }

    /// Mean and standard deviation of the training pixels scaled to [0, 1].
    public var normalization: Normalization {
        switch self {
        case .fashionMNIST: return Normalization(mean: 0.2860, std: 0.3530)
        case .mnist: return Normalization(mean: 0.1307, std: 0.3081)
        case .cifar10: return Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
        }
    }
}

/// A dataset's official training and test sets.
public struct Dataset: Sendable {
    /// Which dataset.
    public let name: DatasetName
    /// The official training set (validation holdouts are cut from it).
    public let train: LabeledImages
    /// The official test set.
    public let test: LabeledImages

    /// Loads `name` from `directory` (or its default directory). Each IDX file may be gzip
    /// (`*.gz`) or raw.
    ///
    /// - Throws: `DataError` naming the missing or malformed file.
    public static func load(_ name: DatasetName, directory: String? = nil) throws -> Dataset {
        let dir = directory ?? name.defaultDirectory
        if name == .cifar10 { return try CIFAR10Reader.load(directory: dir) }
        func part(_ images: String, _ labels: String) throws -> LabeledImages {
            let img = try IDXReader.readImages(path: locate(dir, images))
            let lab = try IDXReader.readLabels(path: locate(dir, labels))
            guard img.count == lab.count else {
                throw DataError.malformed(path: locate(dir, labels), reason: "holds \(lab.count) labels for \(img.count) images")
            }
            if let bad = lab.first(where: { Int($0) >= name.classes }) {
                throw DataError.malformed(path: locate(dir, labels), reason: "label \(bad) is outside 0..<\(name.classes)")
            }
            return LabeledImages(count: img.count, height: img.rows, width: img.cols, channels: 1, pixels: img.pixels, labels: lab)
        }
        return Dataset(
            name: name,
            train: try part("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
            test: try part("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))
    }

    /// `dir/base.gz` if it exists, else `dir/base` (whose absence the reader reports).
    static func locate(_ dir: String, _ base: String) -> String {
        let gz = (dir as NSString).appendingPathComponent(base + ".gz")
        return FileManager.default.fileExists(atPath: gz) ? gz : (dir as NSString).appendingPathComponent(base)
    }
}
