@testable import FATNNCoordinator
import FATNNJobs
import FATNNPostgresStore
import Foundation
import Testing

/// The query language on PostgreSQL against SQLite's answers: the same 18 jobs and results on
/// both stores (figures that are exact binary fractions, so that sums cannot differ by the order
/// rows are added in), then leaderboard queries (grouped and per job; filters on fields, config
/// paths of every JSON type, lists, negation; sorts; column sets; best-config selection) and
/// paired comparisons, compared as JSON.
@Suite(.enabled(if: PostgresFixtures.url != nil, PostgresFixtures.skipReason))
struct StoreQueryParityTests {
    static let sweep = """
        { "name": "grid", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
          "grid": {"quantizer.kind": ["fp", "fatnn", "tnn"], "training.learningRate": [0.05, 0.1]}, "seeds": [1, 2, 3],
          "retries": {"errors": 0, "lostWorkers": 0} }
        """

    static let queries: [LeaderboardQuery] = [
        LeaderboardQuery(),
        LeaderboardQuery(group: false),
        LeaderboardQuery(columns: QueryFields.groupColumns),
        LeaderboardQuery(columns: QueryFields.jobColumns, group: false),
        LeaderboardQuery(filter: "quantizer = fatnn and lr > 0.06", group: false),
        LeaderboardQuery(filter: "training.momentum = 0.9 and training.optimizer = sgd", group: false),
        LeaderboardQuery(filter: "training.nesterov = false or seed = 2", group: false),
        LeaderboardQuery(filter: "training.batchSize >= 128", sort: "val_acc:asc"),
        LeaderboardQuery(filter: "packed_exact = true", group: false),
        LeaderboardQuery(filter: "not (quantizer in (fp, tnn)) and model = cnn-s", sort: "seed:asc", group: false),
        LeaderboardQuery(filter: "seed in (1, 3) and state in (succeeded, failed)", sort: "packed_img_s:desc", group: false),
        LeaderboardQuery(filter: "training.optimizer in (sgd, adam) and training.learningRate in (0.05)", group: false),
        LeaderboardQuery(filter: "packed_kernel = fatnn", sort: "packed_img_s"),
        LeaderboardQuery(sort: "n:asc", limit: 3),
        LeaderboardQuery(sort: "train_loss:asc", group: false, limit: 5, sweep: "grid"),
        LeaderboardQuery(select: "val_acc", by: ["quantizer"]),
        LeaderboardQuery(sort: "lr:asc", select: "test_acc:asc", by: ["quantizer", "lr"]),
    ]

    static let comparisons: [CompareQuery] = [
        CompareQuery(by: "quantizer.kind", baseline: "fp"),
        CompareQuery(by: "training.learningRate", baseline: "0.05", metric: "val_acc", filter: "quantizer != tnn"),
        CompareQuery(by: "quantizer.kind", baseline: "fatnn", metric: "packed_img_s", sweep: "grid"),
    ]

    @Test func postgreSQLAnswersWhatSQLiteAnswers() async throws {
        let sqliteClock = TestClock()
        let sqlite = try await Self.answers(try JobStore(path: temporaryDatabase(), leaseSeconds: 60, backoffSeconds: 0,
                                                         clock: { sqliteClock.now }).queue, clock: sqliteClock)
        let pgClock = TestClock()
        let postgres = try await PostgresFixtures.withStore(clock: pgClock) { try await Self.answers($0, clock: pgClock) }
        #expect(sqlite.count == postgres.count)
        for (i, (a, b)) in zip(sqlite, postgres).enumerated() {
            #expect(a == b, "answer \(i):\nSQLite     \(a)\nPostgreSQL \(b)")
        }
        #expect(sqlite[0].contains("\"rows\":[[") && sqlite[1].contains("true"), "the queries see results and packed figures")
        for i in [5, 6, 7, 11] { #expect(sqlite[i].contains("\"rows\":[["), "config-path query \(i) selects some rows") }
    }

    /// Runs every job (one fails, one stays running), then answers every query, as JSON.
    static func answers(_ store: some JobLifecycleStore & JobQueryStore, clock: TestClock) async throws -> [String] {
        _ = try await store.submit(try Sweep.parse(Data(sweep.utf8)), document: sweep, replicate: 0)
        for n in 0..<18 {
            clock.advance(1)
            let job = try #require(try JSONDecoder().decode(API.ClaimResponse.self,
                                                            from: await store.claimJSON(worker: "w", host: "h", identity: nil).body).job)
            if n == 16 { continue }  // left running
            if n == 5 { try await store.fail(job: job.id, token: job.claimToken, error: "diverged"); continue }
            var r = sampleResult(Double(150 + (n * 37) % 101) / 256)
            r.validationAccuracy = Double(140 + (n * 53) % 97) / 256
            r.trainLoss = Double(1 + (n * 29) % 64) / 128
            if n % 3 != 0 {
                r.packedExact = n % 4 != 1
                r.packed = PackedInference(kernelPath: "avx2", kernel: n % 2 == 0 ? "fatnn" : "float", cpu: "c", testImages: 10,
                                           latencyBatch1: Double(1 + n % 5) / 1024, latencyBatch64: Double(1 + n % 7) / 64,
                                           floatLatencyBatch1: nil, floatLatencyBatch64: nil)
            }
            try await store.complete(job: job.id, token: job.claimToken, result: r, identity: nil)
        }
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys]
        var out: [String] = []
        for q in queries { out.append(String(decoding: try json.encode(try await store.query(q)), as: UTF8.self)) }
        for c in comparisons { out.append(String(decoding: try json.encode(try await store.compare(c)), as: UTF8.self)) }
        return out
    }
}
