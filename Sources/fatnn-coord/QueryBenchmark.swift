import FATNNClient
import FATNNJobs
import Foundation

/// `fatnn-coord bench --query`: leaderboard queries over HTTP against a large store, each run
/// several times; the median is reported.
enum QueryBenchmark {
    static let cases: [(String, LeaderboardQuery)] = [
        ("grouped, no filter", LeaderboardQuery(limit: 50)),
        ("grouped, filtered", LeaderboardQuery(filter: "quantizer in (fatnn, tnn) and model = resnet20 and test_acc > 0.9", limit: 50)),
        ("jobs, top 50", LeaderboardQuery(group: false, limit: 50)),
        ("jobs, filtered", LeaderboardQuery(filter: "quantizer in (fatnn, tnn) and model = resnet20 and test_acc > 0.9", group: false, limit: 50)),
    ]

    static func run(client: CoordinatorClient, jobs: Int, json: Bool, repeats: Int = 5) async throws {
        var out: [String: Any] = ["jobs": jobs]
        for (name, q) in cases {
            var times: [Double] = []
            var rows = 0
            for _ in 0..<repeats {
                let t0 = DispatchTime.now().uptimeNanoseconds
                rows = try await client.query(q).rows.count
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            let median = SimulatedWorkers.quantile(times, 0.5)
            out[name.replacingOccurrences(of: ", ", with: "_").replacingOccurrences(of: " ", with: "_") + "_ms"] = median
            if !json { print(name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%8.1f ms median of %d (%d rows)", median, repeats, rows)) }
        }
        if json { print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self)) }
    }
}
