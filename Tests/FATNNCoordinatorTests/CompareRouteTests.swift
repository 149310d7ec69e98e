@testable import FATNNCoordinator
import FATNNJobs
import FATNNVocabulary
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `GET /api/compare` and `GET /api/leaderboard?select=…&by=…` through the router, with the
/// bearer tokens of the other read routes.
@Suite struct CompareRouteTests {
    static let admin = "admin-token-0123456789", worker = "worker-token-0123456789"

    func app(_ store: JobStore) -> some ApplicationProtocol {
        Application(router: CoordinatorRoutes.router(store: store.queue, tokens: CoordinatorTokens(admin: Self.admin, worker: Self.worker),
                                                     logger: Logger(label: "test")))
    }

    @Test func compareRouteAnswersEitherTokenAndRefusesBadInput() async throws {
        let store = try TestClock().store()
        // tnn and fatnn over seeds 1, 2: fatnn − tnn = 0.02 and 0.04.
        try finish(store, cnnSweep("r", grid: #""quantizer.kind": ["tnn", "fatnn"]"#, seeds: [1, 2])) { c, _ in
            let a = 0.8 + (c.quantizer.kind == .fatnn ? 0.02 * Double(c.seed) : 0)
            return (a, a)
        }
        try await app(store).test(.router) { client in
            let bearer: (String) -> HTTPFields = { [.authorization: "Bearer \($0)"] }
            try await client.execute(uri: "/api/compare?by=quantizer&baseline=tnn", method: .get, headers: bearer(Self.worker)) { r in
                #expect(r.status == .ok)
                let c = try JSONDecoder().decode(PairedComparison.self, from: Data(r.body.readableBytesView))
                #expect(c.rows.count == 1 && c.rows[0].value == "fatnn" && c.rows[0].pairs == 2)
                #expect(abs((c.rows[0].meanDifference ?? 0) - 0.03) < 1e-12)
                // Differences 0.02, 0.04: std √0.0002; half-width t(0.975, 1)·std/√2 = 12.7062047·0.01.
                #expect(abs((c.rows[0].ciHigh ?? 0) - (0.03 + 0.127062047)) < 1e-6)
            }
            try await client.execute(uri: "/api/compare?by=quantizer&baseline=tnn", method: .get) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/api/compare?by=quantizer&baseline=lsq2&where=model%20%3D%20cnn-s", method: .get,
                                     headers: bearer(Self.admin)) { r in
                #expect(r.status == .badRequest)
                let message = try JSONDecoder().decode(API.ErrorBody.self, from: Data(r.body.readableBytesView)).error.message
                #expect(message.contains("baseline 'lsq2' is not a value of quantizer") && message.contains("values: fatnn, tnn"))
            }
            try await client.execute(uri: "/api/compare?by=quantizer", method: .get, headers: bearer(Self.worker)) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/api/leaderboard?select=val_acc&by=quantizer&columns=quantizer,n,test_acc_mean",
                                     method: .get, headers: bearer(Self.worker)) { r in
                #expect(r.status == .ok)
                let t = try JSONDecoder().decode(QueryTable.self, from: Data(r.body.readableBytesView))
                #expect(t.columns == ["quantizer", "n", "test_acc_mean"] && t.rows.count == 2)
            }
            try await client.execute(uri: "/ui/compare?by=quantizer&baseline=tnn", method: .get, headers: bearer(Self.worker)) { r in
                let page = String(decoding: r.body.readableBytesView, as: UTF8.self)
                #expect(r.status == .ok && page.contains("<table id=\"comparison\"") && page.contains("<option value=\"tnn\" selected>"))
                #expect(page.contains("<td>fatnn</td>") && page.contains("+3.00"))
            }
            try await client.execute(uri: "/ui/compare?by=quantizer&baseline=tnn&ignore=lr", method: .get, headers: bearer(Self.worker)) { r in
                let page = String(decoding: r.body.readableBytesView, as: UTF8.self)
                #expect(r.status == .ok && page.contains("(and may differ in lr)") && page.contains("name=\"ignore\" value=\"lr\""))
            }
            try await client.execute(uri: "/api/compare?by=quantizer&baseline=tnn&ignore=speed", method: .get, headers: bearer(Self.worker)) { r in
                #expect(r.status == .badRequest && String(decoding: r.body.readableBytesView, as: UTF8.self).contains("ignore: unknown key 'speed'"))
            }
        }
    }
}
