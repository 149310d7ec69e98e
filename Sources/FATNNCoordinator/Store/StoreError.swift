import FATNNJobs

/// Why the store refused an operation.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The job does not exist.
    case jobNotFound(Int64)
    /// The sweep does not exist.
    case sweepNotFound(String)
    /// The claim token does not match the job's current claim (lease expired and re-claimed, or
    /// the job already ended): the caller must abandon its attempt.
    case staleClaim(Int64)
    /// The job's state does not allow the operation (e.g. cancelling a job that succeeded).
    case notAllowed(Int64, JobState, String)
    /// The submitted document or request is invalid.
    case invalid(SweepError)

    public var description: String {
        switch self {
        case .jobNotFound(let id): return "job \(id) does not exist"
        case .sweepNotFound(let name): return "no sweep is named '\(name)'"
        case .staleClaim(let id): return "job \(id): the claim is no longer valid (lease expired or job already ended)"
        case .notAllowed(let id, let state, let what): return "job \(id) is \(state.rawValue): cannot \(what) it"
        case .invalid(let e): return e.description
        }
    }
}

extension StoreError {
    /// The store's refusal of a lifecycle event on job `id` that the rules refused.
    public init(_ error: LifecycleError, job id: Int64) {
        switch error {
        case .staleClaim: self = .staleClaim(id)
        case .notAllowed(let state, let what): self = .notAllowed(id, state, what)
        }
    }
}
