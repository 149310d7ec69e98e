import FATNNClient
import Foundation
import Testing

/// A client given several coordinators (`URL1,URL2`): a coordinator that does not answer is
/// skipped for the next, and the client stays with the one that answered.
@Suite struct CoordinatorFailoverTests {
    @Test func aCoordinatorThatDoesNotAnswerIsSkipped() async throws {
        let dead = "http://127.0.0.1:\(try WorkerRobustnessTests.freePort())"
        try await withCoordinator { url, _ in
            let client = try CoordinatorClient(baseURL: "\(dead), \(url)/", token: testToken, timeoutSeconds: 5)
            #expect(client.baseURLs == [dead, url] && client.baseURL == dead)
            #expect(try await client.status().counts["queued"] == 0)
            #expect(client.baseURL == url, "the client stays with the coordinator that answered")
            #expect(try await client.leaderboard().isEmpty)
        }
        let none = try CoordinatorClient(baseURL: "\(dead),\(dead)", token: testToken, timeoutSeconds: 5)
        #expect(none.baseURLs == [dead])
        await #expect(throws: ClientError.self) { _ = try await none.status() }
        #expect(throws: ClientError.invalidURL("http://127.0.0.1:1,ftp://x")) {
            _ = try CoordinatorClient(baseURL: "http://127.0.0.1:1,ftp://x", token: "t")
        }
    }
}
