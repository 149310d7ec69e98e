/// Where a job is in its life.
public enum JobState: String, Codable, Sendable, CaseIterable {
    /// Waiting for a worker.
    case queued
    /// Claimed by a worker whose lease has not expired.
    case leased
    /// Finished with an accepted result.
    case succeeded
    /// Ended with an error reported by the worker.
    case failed
}
