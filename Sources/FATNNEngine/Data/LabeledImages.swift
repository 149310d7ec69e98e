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

    /// Shape of one image.
    public var shape: ImageShape { ImageShape(channels: channels, height: height, width: width) }
}

/// Per-dataset, per-channel pixel normalization: `(pixel / 255 - mean[c]) / std[c]`.
public struct Normalization: Sendable, Equatable {
    /// Mean of the scaled pixel values, per channel.
    public let mean: [Float]
    /// Standard deviation of the scaled pixel values, per channel.
    public let std: [Float]

    /// A normalization with per-channel statistics.
    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && !mean.isEmpty)
        self.mean = mean
        self.std = std
    }

    /// The normalized value of a black pixel, per channel (padding of augmented crops).
    public var blackLevel: [Float] { zip(mean, std).map { -$0.0 / $0.1 } }

    /// A single-channel normalization.
    public init(mean: Float, std: Float) { self.init(mean: [mean], std: [std]) }

    /// A batch of the images at `indices`, normalized, as an `N x (C·H·W)` matrix, and labels.
    public func batch(_ images: LabeledImages, indices: ArraySlice<Int>) -> (Matrix, [Int]) {
        precondition(images.channels == mean.count, "normalization for \(mean.count) channel(s), images have \(images.channels)")
        let f = images.featuresPerImage, plane = images.height * images.width
        var m = Matrix(rows: indices.count, cols: f)
        var labels = [Int]()
        labels.reserveCapacity(indices.count)
        let scale = zip(mean, std).map { 1 / (255 * $0.1) }
        let shift = zip(mean, std).map { $0.0 / $0.1 }
        images.pixels.withUnsafeBufferPointer { px in
            m.data.withUnsafeMutableBufferPointer { out in
                for (row, i) in indices.enumerated() {
                    let src = i * f, dst = row * f
                    for c in 0..<mean.count {
                        let a = scale[c], b = shift[c], o = c * plane
                        for j in 0..<plane { out[dst + o + j] = Float(px[src + o + j]) * a - b }
                    }
                    labels.append(Int(images.labels[i]))
                }
            }
        }
        return (m, labels)
    }
}
