import FATNNJobs
import Foundation
import Testing

/// The wire error's machine codes: each fixes its status, and clients decide on the code.
@Suite struct ErrorCodeTests {
    @Test func everyCodeHasAnErrorStatusAndAClientDecision() {
        for code in API.ErrorCode.allCases {
            #expect((400..<600).contains(code.status), "\(code)")
            #expect(!(code.isTransient && code.refusesRequest), "\(code) cannot be both worth retrying and refused for good")
            #expect(API.ErrorCode(rawValue: code.rawValue) == code && code.rawValue == code.rawValue.lowercased())
        }
        #expect(API.ErrorCode.allCases.filter(\.isTransient) == [.busy, .internal])
        #expect(API.ErrorCode.staleClaim.refusesRequest && API.ErrorCode.invalidModel.refusesRequest && !API.ErrorCode.unauthorized.refusesRequest)
    }

    /// A reply without a code (a proxy's, the HTTP server's own) gets one from its status.
    @Test func repliesWithoutACodeGetOneFromTheirStatus() {
        let cases: [(Int, API.ErrorCode)] = [(401, .unauthorized), (403, .unauthorized), (404, .notFound), (408, .busy), (429, .busy),
                                             (413, .tooLarge), (400, .invalidRequest), (422, .invalidRequest), (500, .internal),
                                             (502, .internal), (503, .busy)]
        for (status, code) in cases { #expect(API.ErrorCode(replyWithoutCode: status) == code, "\(status)") }
    }

    @Test func theBodyCarriesTheCodeAndToleratesUnknownOnes() throws {
        let body = try JSONEncoder().encode(API.ErrorBody(code: .staleClaim, message: "job 3: gone"))
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#""code":"stale_claim""#) && text.contains(#""message":"job 3: gone""#))
        #expect(try JSONDecoder().decode(API.ErrorBody.self, from: body).error.code == .staleClaim)
        // A code from a newer coordinator, or none (Hummingbird's own errors): nil, message kept.
        for json in [#"{"error":{"code":"quota_exceeded","message":"m"}}"#, #"{"error":{"message":"m"}}"#] {
            let d = try JSONDecoder().decode(API.ErrorBody.self, from: Data(json.utf8)).error
            #expect(d.code == nil && d.message == "m")
        }
    }
}
