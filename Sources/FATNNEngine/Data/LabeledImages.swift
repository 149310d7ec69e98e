/// A set of 8-bit images with class labels, as stored by MNIST-family and CIFAR files.
public struct LabeledImages: Sendable {
    /// Number of images.
    public let count: Int
    /// Image height.
    public let height: Int
    /// Image width.
    public let width: Int
    /// Channels (1 for grayscale).
    public let channels: Int
    /// Pixels, image after image, each `channels x height x width` (CHW).
    public let pixels: [UInt8]
    /// One class index per image.
    public let labels: [UInt8]

    /// Images and labels; sizes must agree.
    public init(count: Int, height: Int, width: Int, channels: Int, pixels: [UInt8], labels: [UInt8]) {
        precondition(pixels.count == count * height * width * channels && labels.count == count)
        self.count = count
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
        self.labels = labels
    }

    /// Values per image.
    public var featuresPerImage: Int { height * width * channels }
}

/// Per-dataset pixel normalization: `(pixel / 255 - mean) / std`.
public struct Normalization: Sendable, Equatable {
    /// Mean of the scaled pixel values.
    public let mean: Float
    /// Standard deviation of the scaled pixel values.
    public let std: Float

    /// A normalization with the given statistics.
    public init(mean: Float, std: Float) {
        self.mean = mean
        self.std = std
    }

    /// A batch of the images at `indices`, normalized, as an `N x features` matrix, and labels.
    public func batch(_ images: LabeledImages, indices: ArraySlice<Int>) -> (Matrix, [Int]) {
        let f = images.featuresPerImage
        var m = Matrix(rows: indices.count, cols: f)
        var labels = [Int]()
        labels.reserveCapacity(indices.count)
        let scale = 1 / (255 * std)
        let shift = mean / std
        images.pixels.withUnsafeBufferPointer { px in
            m.data.withUnsafeMutableBufferPointer { out in
                for (row, i) in indices.enumerated() {
                    let src = i * f, dst = row * f
                    for j in 0..<f { out[dst + j] = Float(px[src + j]) * scale - shift }
                    labels.append(Int(images.labels[i]))
                }
            }
        }
        return (m, labels)
    }
}
