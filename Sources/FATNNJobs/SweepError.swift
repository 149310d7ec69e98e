/// A sweep or job document that is not valid, with the JSON path of the offending field.
public struct SweepError: Error, CustomStringConvertible, Equatable, Sendable {
    /// JSON path of the field, e.g. `base.training.epochs` or `grid["training.learningRate"][1]`.
    public let path: String
    /// What is wrong and what is allowed.
    public let message: String

    /// An error at `path`.
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
