/// Per-image training augmentation, applied to a normalized batch: random crop after zero padding
/// (the padding holds the value a black pixel normalizes to) and random horizontal flip.
public struct Augmentation: Sendable, Equatable {
    /// Pixels of padding on each side before a random crop back to the image size (0: no crop).
    public var cropPadding: Int
    /// Mirror each image left-right with probability 1/2.
    public var horizontalFlip: Bool

    /// No augmentation.
    public static let none = Augmentation(cropPadding: 0, horizontalFlip: false)

    public init(cropPadding: Int, horizontalFlip: Bool) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }

    /// Whether anything is done.
    public var isActive: Bool { cropPadding > 0 || horizontalFlip }

    /// Augments every row of `batch` (images of `shape`) in place, drawing from `rng`.
    ///
    /// - Parameter fill: per-channel value of padding (a black pixel after normalization).
    public func apply(_ batch: inout Matrix, shape: ImageShape, fill: [Float], rng: inout RandomSource) {
        guard isActive else { return }
        let h = shape.height, w = shape.width, pad = cropPadding
        var image = [Float](repeating: 0, count: shape.count)
        for r in 0..<batch.rows {
            let dy = pad > 0 ? Int(rng.next() % UInt64(2 * pad + 1)) - pad : 0
            let dx = pad > 0 ? Int(rng.next() % UInt64(2 * pad + 1)) - pad : 0
            let flip = horizontalFlip && rng.next() & 1 == 1
            let base = r * shape.count
            for i in 0..<shape.count { image[i] = batch.data[base + i] }
            for c in 0..<shape.channels {
                let plane = c * h * w
                for y in 0..<h {
                    for x in 0..<w {
                        // Output (y, x) shows input (y + dy, x' + dx), x' mirrored when flipping.
                        let sx = (flip ? w - 1 - x : x) + dx, sy = y + dy
                        let inside = sy >= 0 && sy < h && sx >= 0 && sx < w
                        batch.data[base + plane + y * w + x] = inside ? image[plane + sy * w + sx] : fill[c]
                    }
                }
            }
        }
    }
}
