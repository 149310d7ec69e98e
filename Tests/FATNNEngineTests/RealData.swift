@testable import FATNNEngine

/// The first `train` training and `test` test images of the real Fashion-MNIST set (debug
/// builds are slow; the Debian package `dataset-fashion-mnist` provides the files).
func fashionMNISTHead(train: Int, test: Int) throws -> Dataset {
    let full = try Dataset.load(.fashionMNIST)
    func head(_ s: LabeledImages, _ n: Int) -> LabeledImages {
        LabeledImages(count: n, height: s.height, width: s.width, channels: s.channels,
                      pixels: Array(s.pixels[0..<(n * s.featuresPerImage)]), labels: Array(s.labels[0..<n]))
    }
    return Dataset(name: full.name, train: head(full.train, train), test: head(full.test, test))
}
