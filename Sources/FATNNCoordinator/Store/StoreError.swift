import FATNNJobs

/// Why the store refused an operation.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The job does not exist.
    case jobNotFound(Int64)
    /// The claim token does not match the job's current claim (lease expired and re-claimed, or
    /// the job already ended): the caller must abandon its attempt.
    case staleClaim(Int64)
    /// The submitted document is invalid.
    case invalid(SweepError)

    public var description: String {
        switch self {
        case .jobNotFound(let id): return "job \(id) does not exist"
        case .staleClaim(let id): return "job \(id): the claim is no longer valid (lease expired or job already ended)"
        case .invalid(let e): return e.description
        }
    }
}
