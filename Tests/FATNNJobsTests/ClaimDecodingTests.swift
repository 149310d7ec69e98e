import FATNNJobs
import Foundation
import Testing

/// A claim reply whose config names something this build's vocabulary lacks (a coordinator
/// ahead of its workers) must still give the worker the job's id and token, so that it can fail
/// the job with the reason instead of leaving it leased.
@Suite struct ClaimDecodingTests {
    static let token = String(repeating: "ab", count: 32)

    static func reply(kind: String) -> Data {
        Data(#"""
        {"job":{"id":42,"claimToken":"\#(token)","config":{"dataset":{"name":"mnist","splitSeed":0,"validationFraction":0.1},
        "model":"cnn-s","quantizer":{"kind":"\#(kind)","params":{}},"seed":1,"training":{"batchSize":128,"epochs":2,
        "learningRate":0.1,"momentum":0.9,"nesterov":false,"optimizer":"sgd","schedule":"cosine","weightDecay":0.0005}},
        "leaseSeconds":60,"attempt":3,"replica":0},"pending":true}
        """#.utf8)
    }

    @Test func aKnownConfigDecodes() throws {
        let r = try JSONDecoder().decode(API.ClaimResponse.self, from: Self.reply(kind: "fatnn-a2"))
        #expect(r.job?.config.quantizer.kind == .fatnnA2 && r.job?.id == 42 && r.job?.attempt == 3)
        // The synthesized encoding round-trips through the custom decoder.
        let again = try JSONDecoder().decode(API.ClaimResponse.self, from: try JSONEncoder().encode(r))
        #expect(again.job == r.job)
    }

    @Test func anUnknownKindGivesTheJobAndTheReason() throws {
        do {
            _ = try JSONDecoder().decode(API.ClaimResponse.self, from: Self.reply(kind: "ternary-v9"))
            Issue.record("an unknown quantizer kind decoded")
        } catch let e as API.UnreadableClaim {
            #expect(e.id == 42 && e.claimToken == Self.token && e.attempt == 3)
            #expect(e.reason.hasPrefix("config.quantizer.kind: "), "\(e.reason)")
            #expect(e.reason.contains("ternary-v9"), "\(e.reason)")
        }
    }

    @Test func aBrokenEnvelopeIsAnOrdinaryDecodingError() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(API.ClaimResponse.self, from: Data(#"{"job":{"id":"x"},"pending":true}"#.utf8))
        }
    }
}
