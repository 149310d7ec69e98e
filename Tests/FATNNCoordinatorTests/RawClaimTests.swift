@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import Testing

/// The claim reply built around the stored config text says exactly what encoding the decoded
/// claim says.
@Suite struct RawClaimTests {
    @Test func handBuiltReplyDecodesToTheSameClaimAsTheEncodedOne() async throws {
        let store = try TestClock().store()
        _ = try store.submit(try sampleSweep(), document: "{}", replicate: 0)
        let queue = store.queue
        for _ in 0..<5 {
            let raw = try store.write(durable: false, store.rawClaimOp(worker: "w", host: "h"))
            let fromText = try JSONDecoder().decode(API.ClaimResponse.self, from: raw.jsonBody())
            let decoded = try raw.response()
            let viaEncoder = try JSONDecoder().decode(API.ClaimResponse.self, from: JSONEncoder().encode(decoded))
            #expect(fromText.job == decoded.job && fromText.pending == decoded.pending)
            #expect(fromText.job == viaEncoder.job && fromText.pending == viaEncoder.pending)
            #expect((fromText.job == nil) == (raw.job == nil))
        }
        // Four jobs were handed out; the fifth claim found none, with jobs still leased.
        let none = try await queue.claimJSON(worker: "w", host: "h", identity: nil)
        #expect(none.job == nil)
        #expect(String(decoding: none.body, as: UTF8.self) == #"{"pending":true}"#)
    }
}
