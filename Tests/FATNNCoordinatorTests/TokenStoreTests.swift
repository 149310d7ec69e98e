@testable import FATNNCoordinator
import FATNNJobs
import FATNNPostgresStore
import Foundation
import Testing

/// Named tokens on every store backend, through ``JobTokenStore``: created once with a valid
/// name, found by their SHA-256 until revoked, and revoking one gives back the job its claim held.
@Suite struct TokenStoreTests {
    @Test func onSQLite() async throws { try await check(try TestClock().store().queue) }

    @Test(.enabled(if: PostgresFixtures.url != nil, PostgresFixtures.skipReason))
    func onPostgreSQL() async throws { try await PostgresFixtures.withStore(clock: TestClock()) { try await check($0) } }

    func check(_ store: some JobLifecycleStore & JobTokenStore) async throws {
        let token = try await store.createToken(name: "gpu-1", role: .worker)
        #expect(token.count == 64)
        #expect(try await store.identity(sha256: SHA256.hex(token)) == Identity(name: "gpu-1", role: .worker))
        for (name, why) in [("gpu-1", "taken"), ("worker", "a token file's identity"), ("bad name", "a space")] {
            await #expect(throws: StoreError.self, "\(name): \(why)") { _ = try await store.createToken(name: name, role: .admin) }
        }
        _ = try await store.submit(try sampleSweep(seeds: [1], rates: [0.1]), document: "{}", replicate: 0)
        let claim = try #require(try JSONDecoder().decode(API.ClaimResponse.self,
                                                          from: await store.claimJSON(worker: "w", host: "h", identity: "gpu-1").body).job)
        #expect(try await store.revokeToken(name: "gpu-1") == [claim.id])
        #expect(try await store.identity(sha256: SHA256.hex(token)) == nil)
        let job = try #require(try await store.lifecycle(of: claim.id))
        #expect(job.lifecycle.state == .queued && job.attempts.map(\.outcome) == ["released"])
        let listed = try await store.tokens()
        #expect(listed.map(\.name) == ["gpu-1"] && listed.first?.revokedAt != nil)
        await #expect(throws: StoreError.self) { _ = try await store.revokeToken(name: "nobody") }
    }
}
