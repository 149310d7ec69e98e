import FATNNJobs
import Foundation

/// A claim as the store made it, with the job's config still the canonical JSON text it is
/// stored as. ``response()`` decodes it for callers in this process; ``jsonBody()`` writes the
/// `POST /api/jobs/claim` reply without decoding and re-encoding the config.
public struct RawClaim: Sendable {
    /// The job handed out.
    public struct Job: Sendable {
        public var id: Int64
        public var claimToken: String
        /// Canonical JSON of the job's ``JobConfig`` (validated when it was submitted).
        public var config: String
        public var leaseSeconds: Double
        public var attempt: Int
        public var replica: Int

        public init(id: Int64, claimToken: String, config: String, leaseSeconds: Double, attempt: Int, replica: Int) {
            self.id = id; self.claimToken = claimToken; self.config = config
            self.leaseSeconds = leaseSeconds; self.attempt = attempt; self.replica = replica
        }
    }

    /// The job handed out, or nil.
    public var job: Job?
    /// With no job: whether jobs are still pending (queued in an unpaused sweep, or leased).
    public var pending: Bool

    public init(job: Job?, pending: Bool) { self.job = job; self.pending = pending }

    /// The claim as API values.
    public func response() throws -> API.ClaimResponse {
        guard let j = job else { return API.ClaimResponse(job: nil, pending: pending) }
        return API.ClaimResponse(job: API.ClaimedJob(id: j.id, claimToken: j.claimToken, config: try JobConfig.fromCanonical(j.config),
                                                     leaseSeconds: j.leaseSeconds, attempt: j.attempt, replica: j.replica),
                                 pending: pending)
    }

    /// The JSON encoding of ``response()`` (same keys and values), built around the stored
    /// config text.
    public func jsonBody() -> Data {
        guard let j = job else { return Data(#"{"pending":\#(pending)}"#.utf8) }
        // The token is 64 hex digits and the config canonical JSON: neither needs escaping.
        var s = #"{"job":{"id":\#(j.id),"claimToken":"\#(j.claimToken)","config":"#
        s += j.config
        s += #","leaseSeconds":\#(j.leaseSeconds),"attempt":\#(j.attempt),"replica":\#(j.replica)},"pending":\#(pending)}"#
        return Data(s.utf8)
    }
}
