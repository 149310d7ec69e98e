import FATNNJobs
import Foundation

/// A claim as the store made it, with the job's config still the canonical JSON text it is
/// stored as. ``response()`` decodes it for callers in this process; ``jsonBody()`` writes the
/// `POST /api/jobs/claim` reply without decoding and re-encoding the config.
struct RawClaim: Sendable {
    struct Job: Sendable {
        var id: Int64
        var claimToken: String
        /// Canonical JSON of the job's ``JobConfig`` (validated when it was submitted).
        var config: String
        var leaseSeconds: Double
        var attempt: Int
        var replica: Int
    }

    var job: Job?
    var pending: Bool

    /// The claim as API values.
    func response() throws -> API.ClaimResponse {
        guard let j = job else { return API.ClaimResponse(job: nil, pending: pending) }
        return API.ClaimResponse(job: API.ClaimedJob(id: j.id, claimToken: j.claimToken, config: try JobConfig.fromCanonical(j.config),
                                                     leaseSeconds: j.leaseSeconds, attempt: j.attempt, replica: j.replica),
                                 pending: pending)
    }

    /// The JSON encoding of ``response()`` (same keys and values), built around the stored
    /// config text.
    func jsonBody() -> Data {
        guard let j = job else { return Data(#"{"pending":\#(pending)}"#.utf8) }
        // The token is 64 hex digits and the config canonical JSON: neither needs escaping.
        var s = #"{"job":{"id":\#(j.id),"claimToken":"\#(j.claimToken)","config":"#
        s += j.config
        s += #","leaseSeconds":\#(j.leaseSeconds),"attempt":\#(j.attempt),"replica":\#(j.replica)},"pending":\#(pending)}"#
        return Data(s.utf8)
    }
}
