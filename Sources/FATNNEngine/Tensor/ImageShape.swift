/// Shape of one image (or feature map) in the engine's layout: channels x height x width (CHW),
/// stored as one row of a batch matrix (so a batch is NCHW).
public struct ImageShape: Sendable, Hashable, Codable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Values per image.
    public var count: Int { channels * height * width }
    /// Pixels per channel.
    public var plane: Int { height * width }

    public var description: String { "\(channels)x\(height)x\(width)" }
}
