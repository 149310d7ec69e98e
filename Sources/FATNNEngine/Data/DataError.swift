/// Why a data file could not be read. Every case names the file.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// The file's header or size does not match the format.
    case malformed(path: String, reason: String)
    /// The named dataset is not one the engine knows.
    case unknownDataset(String, known: [String])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open: \(reason)"
        case let .malformed(path, reason): return "\(path): \(reason)"
        case let .unknownDataset(name, known):
            return "unknown dataset '\(name)'; known: \(known.joined(separator: ", "))"
        }
    }
}
