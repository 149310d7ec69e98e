/// A failure of a command's work (not of its arguments): printed as `Error: …`, exit code 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
