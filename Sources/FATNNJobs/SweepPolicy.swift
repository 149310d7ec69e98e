/// How the coordinator runs a sweep's jobs: their priority, timeout and retry budgets. Part of
/// the sweep document, not of any job's config, so it does not change config hashes.
///
/// ```json
/// { "name": "…", "priority": 5, "timeoutSeconds": 3600, "retries": {"errors": 1, "lostWorkers": 5}, … }
/// ```
public struct SweepPolicy: Codable, Sendable, Equatable {
    /// Higher runs first; ties run in submission order.
    public var priority: Int
    /// Longest one attempt may run before it counts as a job error.
    public var timeoutSeconds: Double
    /// Re-runs after job errors (exception, invalid config, divergence, timeout) before the job fails.
    public var errorRetries: Int
    /// Re-runs after lost workers (lease expired) before the job is dead.
    public var lostRetries: Int

    public static let defaultErrorRetries = 1
    public static let defaultLostRetries = 5
    public static let defaultTimeoutSeconds: Double = 7 * 86_400

    public init(priority: Int = 0, timeoutSeconds: Double = defaultTimeoutSeconds,
                errorRetries: Int = defaultErrorRetries, lostRetries: Int = defaultLostRetries) {
        self.priority = priority
        self.timeoutSeconds = timeoutSeconds
        self.errorRetries = errorRetries
        self.lostRetries = lostRetries
    }

    /// Reads the policy fields of a sweep document (all optional).
    static func read(_ r: inout ObjectReader) throws(SweepError) -> SweepPolicy {
        var p = SweepPolicy()
        p.priority = try r.int("priority", default: 0, min: -1000, max: 1000)
        p.timeoutSeconds = try r.double("timeoutSeconds", default: defaultTimeoutSeconds, min: 1, max: 365 * 86_400)
        if var retries = try r.object("retries") {
            p.errorRetries = try retries.int("errors", default: defaultErrorRetries, min: 0, max: 100)
            p.lostRetries = try retries.int("lostWorkers", default: defaultLostRetries, min: 0, max: 100)
            try retries.finish()
        }
        return p
    }
}
