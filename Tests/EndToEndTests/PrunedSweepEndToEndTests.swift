import FATNNClient
import FATNNCoordinator
import FATNNJobs
import Foundation
import Testing

/// A sampled sweep under ASHA through a real HTTP coordinator and a real worker: every job ends
/// succeeded or pruned exactly as the rule decides on the epochs the worker reported.
@Suite(.serialized) struct PrunedSweepEndToEndTests {
    @Test func sampledSweepIsPrunedAsTheRuleDecides() async throws {
        // A grid of learning rates (good first, so that the later, hopeless ones are pruned)
        // crossed with 2 sampled momentum values, one seed, 3 epochs: ASHA decides at epoch 1
        // (rung 1; the next rung, 3, is the last epoch). 6 jobs.
        let sweep = """
            { "name": "asha-e2e", "base": { "model": "mlp",
                "dataset": {"name": "fashion-mnist", "validationFraction": 0.05, "trainLimit": 1000},
                "training": {"epochs": 3, "batchSize": 64, "learningRate": 0.1} },
              "grid": {"training.learningRate": [0.2, 0.0003, 0.0002]},
              "sample": {"method": "sobol", "count": 2, "seed": 11,
                         "space": {"training.momentum": {"uniform": [0.85, 0.9]}}},
              "pruning": {"method": "asha", "metric": "val_acc", "minEpochs": 1, "reductionFactor": 3},
              "seeds": [1] }
            """
        try await withCoordinator { url, _ in
            let client = try testClient(url)
            #expect(try await client.submit(document: Data(sweep.utf8)).added == 6)
            _ = try await quietWorker(url).run()
            let rule = PruningRule(method: .asha, minEpochs: 1, reductionFactor: 3)
            // One worker runs the jobs in id order, so job k saw the epoch-1 values of jobs 1..k-1.
            var seen: [Double] = []
            var pruned = 0
            for id in Int64(1)...6 {
                let job = try await client.job(id)
                let first = try #require(job.epochs.first { $0.epoch == 1 }?.validationAccuracy, "job \(id) reported no epoch 1")
                let decision = rule.decide(epoch: 1, of: 3, value: first, others: seen)
                seen.append(first)
                if case .prune(let reason) = decision {
                    pruned += 1
                    #expect(job.row.state == .pruned, "job \(id): the rule prunes (\(reason)) but it is \(job.row.state)")
                    #expect(job.error == reason)
                    #expect(job.epochs.map(\.epoch) == [1], "a pruned job stops at the epoch it was pruned at")
                    #expect(job.result == nil)
                    #expect(job.attempts.map(\.outcome) == [.pruned])
                } else {
                    #expect(job.row.state == .succeeded, "job \(id): the rule keeps it but it is \(job.row.state): \(job.error ?? "")")
                    #expect(job.epochs.map(\.epoch) == [1, 2, 3])
                }
            }
            #expect(pruned >= 3 && pruned <= 5, "pruned \(pruned) of 6")
            #expect(try await client.status().counts["pruned"] == pruned)
            let table = try await client.query(LeaderboardQuery(filter: "state = pruned", columns: ["id", "state", "last_epoch"], group: false))
            #expect(table.rows.count == pruned)
            let export = String(decoding: try await client.export(sweep: "asha-e2e"), as: UTF8.self)
            let records = try export.split(separator: "\n").map { try JSONDecoder().decode(API.ExportRecord.self, from: Data($0.utf8)) }
            #expect(records.filter { $0.state == .pruned }.allSatisfy { $0.epochs?.map(\.epoch) == [1] })
            let metrics = try await client.metrics()
            #expect(metrics.contains("state=\"pruned\"} \(pruned)"), "\(metrics.prefix(600))")
        }
    }
}
