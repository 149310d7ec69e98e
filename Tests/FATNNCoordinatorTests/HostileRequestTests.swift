@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Requests as a hostile client sends them (issue 19): a result whose figures overflow the
/// leaderboard, filters SQLite's parser cannot take, a submission that multiplies past the job
/// cap. Each gets a 400 naming the field, and nothing that is stored can break a later read.
@Suite struct HostileRequestTests {
    static let admin = "admin-token-0123456789", worker = "worker-token-0123456789"
    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    func app(_ store: JobStore) -> some ApplicationProtocol {
        Application(router: CoordinatorRoutes.router(store: store.queue, tokens: CoordinatorTokens(admin: Self.admin, worker: Self.worker),
                                                     logger: Logger(label: "test")))
    }

    static func message(_ r: TestResponse) -> String {
        (try? JSONDecoder().decode(API.ErrorBody.self, from: Data(r.body.readableBytesView)).error.message) ?? "(no message)"
    }

    static func timed(_ latency: Double) -> JobResult {
        var r = sampleResult(0.9)
        r.packed = PackedInference(kernelPath: "avx2", kernel: "fatnn", cpu: "c", testImages: 10, latencyBatch1: 1e-3,
                                   latencyBatch64: latency, floatLatencyBatch1: 2e-3, floatLatencyBatch64: 0.1)
        return r
    }

    @Test func tinyLatencyIsRefusedAndAStoredOneNeverBreaksTheJobList() async throws {
        #expect(throws: SweepError.self) { try Self.timed(1e-307).validate() }
        #expect(throws: SweepError.self) { try Self.timed(1e300).validate() }
        try Self.timed(0.01).validate()
        let store = try TestClock().store()
        _ = try store.submit(try Sweep.parse(Data(cnnSweep("t", grid: #""quantizer.kind": ["fatnn"]"#, seeds: [1, 2]).utf8)), document: "{}")
        let a = try #require(try store.claim(worker: "w", host: "h")), b = try #require(try store.claim(worker: "w", host: "h"))
        try await app(store).test(.router) { client in
            let body = try JSONEncoder().encode(API.CompleteRequest(claimToken: a.claimToken, result: Self.timed(1e-307)))
            try await client.execute(uri: "/api/jobs/\(a.id)/result", method: .post, headers: Self.bearer(Self.worker), body: ByteBuffer(bytes: body)) { r in
                #expect(r.status == .badRequest && Self.message(r).contains("result.packed.latencyBatch64"), "\(Self.message(r))")
            }
        }
        // A row stored before results were range-checked (written past the route here).
        try store.complete(job: b.id, token: b.claimToken, result: Self.timed(0.01))
        try await store.pool.write { db in
            try db.execute(sql: "UPDATE results SET result = json_set(result, '$.packed.latencyBatch64', 1e-307) WHERE job_id = ?", arguments: [b.id])
        }
        try await app(store).test(.router) { client in
            try await client.execute(uri: "/api/jobs", method: .get, headers: Self.bearer(Self.worker)) { r in
                #expect(r.status == .ok, "\(Self.message(r))")
                let rows = try JSONDecoder().decode(API.LeaderboardResponse.self, from: Data(r.body.readableBytesView)).rows
                #expect(rows.first { $0.id == b.id }?.packedImagesPerSecond == nil, "64 / 1e-307 is not finite: shown as missing")
            }
            try await client.execute(uri: "/api/leaderboard?group=false&columns=id,packed_img_s", method: .get, headers: Self.bearer(Self.worker)) { r in
                #expect(r.status == .ok, "\(Self.message(r))")
            }
        }
    }

    @Test func epochReportsOutOfRangeAreRefused() throws {
        var r = sampleResult(0.9)
        r.epochs[0].trainAccuracy = 7
        #expect(throws: SweepError(path: "result.epochs[0].trainAccuracy", "must be in [0, 1], got 7.0")) { try r.validate() }
        r = sampleResult(0.9)
        r.threads = 0
        #expect(throws: SweepError.self) { try r.validate() }
    }

    /// The longest chains and deepest nesting the grammar accepts all run, per job and grouped.
    @Test func everyFilterTheGrammarAcceptsFitsSQLite() throws {
        let store = try TestClock().store()
        try finish(store, cnnSweep("f", grid: #""quantizer.kind": ["tnn", "fatnn"]"#, seeds: [1, 2])) { _, _ in (0.8, 0.8) }
        let n = WhereExpression.maxTerms
        let ors = (1...n).map { "seed = \($0)" }.joined(separator: " or ")
        let ands = Array(repeating: "seed >= 1", count: n).joined(separator: " and ")
        // `a and b or c and d or …`: an `or` of `and`s.
        let mixed = (1...n).map { "seed = \($0)" + ($0 == n ? "" : $0 % 2 == 1 ? " and" : " or") }.joined(separator: " ")
        // Alternating and/or at the deepest nesting, with a `not` at every other level.
        var nested = "seed = 1", depth = 0, level = 0
        while depth < WhereExpression.maxDepth {
            if level % 3 == 0 && depth + 2 <= WhereExpression.maxDepth {
                nested = "not (\(nested)) or seed = 3"
                depth += 2
            } else {
                nested = "seed = 2 \(level % 2 == 0 ? "and" : "or") (\(nested))"
                depth += 1
            }
            level += 1
        }
        for filter in [ors, ands, mixed, nested] {
            #expect(filter.count <= WhereExpression.maxLength)
            _ = try WhereExpression.parse(filter)
            for group in [false, true] {
                _ = try store.query(LeaderboardQuery(filter: filter, group: group))
            }
            do { _ = try store.compare(CompareQuery(by: "quantizer", baseline: "tnn", filter: filter)) } catch let e as QueryError {
                #expect(e.description.contains("nothing to compare"), "\(e)")
            }
        }
        #expect(throws: QueryError.self) { try WhereExpression.parse(ors + " or seed = 0") }
        #expect(throws: QueryError.self) { try WhereExpression.parse("not (" + nested + ")") }
        #expect(throws: QueryError.self) { try WhereExpression.parse(String(repeating: "not ", count: 300) + "seed = 1") }
    }

    @Test func replicatesCountTowardTheJobCap() throws {
        let store = try TestClock().store()
        let sweep = try Sweep.parse(Data(cnnSweep("r", grid: #""training.learningRate": [0.1, 0.2]"#, seeds: Array(1...100)).utf8))
        #expect(sweep.jobs.count == 200)
        #expect(throws: StoreError.self) { _ = try store.submit(sweep, document: "{}", replicate: 501) }
        #expect(try store.counts().values.reduce(0, +) == 0, "nothing stored")
        #expect(try store.submit(sweep, document: "{}", replicate: 3).added == 600)
    }
}
