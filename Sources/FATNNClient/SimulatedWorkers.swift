import FATNNJobs
import Foundation

/// Workers that do no training: each claims a job, sends one heartbeat and a fixed result, over
/// the coordinator's real HTTP API. For `fatnn-coord bench` and the lifecycle stress tests.
public enum SimulatedWorkers {
    /// What the simulated workers did.
    public struct Outcome: Sendable {
        /// Every job id claimed, in claim order per worker, all workers concatenated.
        public var claimed: [Int64]
        /// Seconds each claim request took.
        public var claimLatencies: [Double]
        /// Wall time of the whole run, seconds.
        public var seconds: Double
    }

    /// Runs `workers` concurrent loops of claim → heartbeat → result until the queue is empty or
    /// `limit` jobs are done.
    public static func run(client: CoordinatorClient, workers: Int, limit: Int = .max) async throws -> Outcome {
        try await run(clients: [client], workers: workers, limit: limit)
    }

    /// The same with the workers spread over several coordinators (worker `w` talks to
    /// `clients[w % clients.count]`).
    public static func run(clients: [CoordinatorClient], workers: Int, limit: Int = .max) async throws -> Outcome {
        let budget = Budget(limit)
        let start = DispatchTime.now().uptimeNanoseconds
        let parts = try await withThrowingTaskGroup(of: ([Int64], [Double]).self) { group in
            for w in 0..<workers {
                let client = clients[w % clients.count]
                group.addTask {
                    var ids: [Int64] = [], latencies: [Double] = []
                    while budget.take() {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        guard let job = try await client.claim(worker: "sim-\(w)", host: "bench") else { break }
                        latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                        ids.append(job.id)
                        let epoch = EpochReport(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.8, validationAccuracy: nil, learningRate: 0.1, seconds: 0.01)
                        _ = try await client.progress(job: job.id, token: job.claimToken, epoch: epoch)
                        try await client.complete(job: job.id, token: job.claimToken, result: fixedResult(epoch))
                    }
                    return (ids, latencies)
                }
            }
            var all: [([Int64], [Double])] = []
            for try await p in group { all.append(p) }
            return all
        }
        return Outcome(claimed: parts.flatMap(\.0), claimLatencies: parts.flatMap(\.1),
                       seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    static func fixedResult(_ epoch: EpochReport) -> JobResult {
        JobResult(testAccuracy: 0.5, testLoss: 1, validationAccuracy: nil, trainLoss: 0.5, trainSeconds: 0.01,
                  imagesPerSecond: 1, epochs: [epoch], host: "bench", threads: 1)
    }

    /// A shared countdown of jobs still to run.
    final class Budget: @unchecked Sendable {
        private let lock = NSLock()
        private var left: Int
        init(_ n: Int) { left = n }
        func take() -> Bool { lock.withLock { if left > 0 { left -= 1; return true }; return false } }
    }

    /// The value at quantile `q` (0...1) of `values`.
    public static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s[min(s.count - 1, max(0, Int((q * Double(s.count)).rounded(.up)) - 1))]
    }
}
