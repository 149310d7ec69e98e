import FATNNClient
import FATNNCoordinator
import FATNNJobs
import Foundation
import Testing

/// The sweep and group pages over real HTTP (and in headless Chromium where installed), on a
/// sampled sweep under ASHA whose jobs report through the store as workers would.
@Suite(.serialized) struct SweepPageTests {
    /// 4 sampled points x 2 seeds, 3 epochs, ASHA with eta 2 (rungs at epochs 1 and 2). Each job
    /// reports its epochs until the store prunes it or it finishes; the last job stays running.
    static func seed(_ store: JobStore) throws -> (pruned: Int, succeeded: Int) {
        _ = try store.submit(try Sweep.parse(Data("""
            { "name": "search", "description": "sampled & pruned", "base": { "model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 3, "learningRate": 0.1} },
              "sample": {"method": "random", "count": 4, "seed": 3, "space": {"training.learningRate": {"logUniform": [0.001, 0.1]}, "training.momentum": {"uniform": [0.5, 0.9]}}},
              "pruning": {"method": "asha", "minEpochs": 1, "reductionFactor": 2}, "seeds": [1, 2] }
            """.utf8)), document: """
            {"name": "search", "description": "sampled & pruned", "base": {"model": "mlp", "dataset": {"name": "mnist"}, "training": {"epochs": 3, "learningRate": 0.1}}, "sample": {"method": "random", "count": 4, "seed": 3, "space": {"training.learningRate": {"logUniform": [0.001, 0.1]}, "training.momentum": {"uniform": [0.5, 0.9]}}}, "pruning": {"method": "asha", "minEpochs": 1, "reductionFactor": 2}, "seeds": [1, 2]}
            """)
        var pruned = 0, succeeded = 0
        for k in 0..<8 {
            let job = try #require(try store.claim(worker: "w", host: "h"))
            // The last job (left running) is the best at epoch 1, so that ASHA keeps it.
            let base = k == 7 ? 0.85 : 0.5 + 0.04 * Double((k * 3) % 7)
            let accuracy = { (epoch: Int) in base + 0.02 * Double(epoch) }
            var epochs: [EpochReport] = []
            var stopped = false
            for e in 1...(k == 7 ? 1 : 3) {
                let report = EpochReport(epoch: e, trainLoss: 1.0 / Double(e), trainAccuracy: accuracy(e), validationAccuracy: accuracy(e),
                                         learningRate: 0.1, seconds: 2)
                epochs.append(report)
                if try store.heartbeat(job: job.id, token: job.claimToken, epoch: report).prune != nil { stopped = true; break }
            }
            if stopped { pruned += 1; continue }
            if k == 7 { continue }  // left running
            try store.complete(job: job.id, token: job.claimToken, result: JobResult(
                testAccuracy: accuracy(3), testLoss: 0.3, validationAccuracy: accuracy(3), trainLoss: 0.3, trainSeconds: 6,
                imagesPerSecond: 500, epochs: epochs, host: "h", threads: 1))
            succeeded += 1
        }
        return (pruned, succeeded)
    }

    @Test func sweepAndGroupPagesDrawEveryJob() async throws {
        try await withCoordinator { url, store in
            let (pruned, succeeded) = try Self.seed(store)
            #expect(pruned >= 1 && succeeded >= 1, "pruned \(pruned), succeeded \(succeeded)")
            let (status, page) = try await DashboardTests.get(url + "/ui/sweeps/search", token: testToken)
            #expect(status == 200)
            #expect(page.contains("id=\"progress-bar\"") && page.contains("data-state=\"pruned\">\(pruned)<"))
            #expect(page.contains("id=\"estimate\""))
            #expect(page.contains("<svg id=\"sweep-curves\"") && page.components(separatedBy: "class=\"series\"").count - 1 == 8)
            #expect(page.components(separatedBy: "stroke=\"#aaa\"").count - 1 == pruned, "pruned curves are grey")
            #expect(page.components(separatedBy: "class=\"marker\"").count - 1 == 2, "ASHA's rungs 1 and 2")
            #expect(page.contains("<a href=\"/ui/jobs/1\">"), "curves link to their jobs")
            for key in ["training-learningRate", "training-momentum"] { #expect(page.contains("<svg id=\"scatter-\(key)\"")) }
            #expect(page.components(separatedBy: "class=\"point best\"").count - 1 == 2, "the best job marked in each scatter")
            // The learning rate's log axis ticks at 1, 2 and 5 times powers of ten.
            let lr = try #require(page.range(of: "<svg id=\"scatter-training-learningRate\"").map { page[$0.lowerBound...] })
            let svg = lr[..<(lr.range(of: "</svg>")?.lowerBound ?? lr.endIndex)]
            let ticks = svg.components(separatedBy: "class=\"xtick\"").dropFirst().compactMap { $0.split(separator: ">").dropFirst().first?.split(separator: "<").first.map(String.init) }
            #expect(ticks.count >= 2 && ticks.allSatisfy { ["0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2"].contains($0) }, "\(ticks)")
            #expect(page.contains("<meta http-equiv=\"refresh\""), "a sweep with a running job reloads itself")
            let (missing, _) = try await DashboardTests.get(url + "/ui/sweeps/nope", token: testToken)
            #expect(missing == 404)
            let (_, group) = try await DashboardTests.get(url + "/ui/jobs/1/group", token: testToken)
            #expect(group.contains("<svg id=\"group-curves\"") && group.contains("class=\"band\""))
            #expect(group.contains("seed 1") && group.contains("seed 2"))
            let (_, progress) = try await DashboardTests.get(url + "/ui/progress", token: testToken)
            #expect(progress.contains("<a href=\"/ui/sweeps/search\">"))
            let report = try await testClient(url).progress()
            let sweep = try #require(report.sweeps.first)
            #expect(sweep.remainingEpochs == 2 && sweep.secondsPerEpoch == 2, "the running job has 2 of its 3 epochs left at 2 s each")
            #expect(sweep.secondsLeft == 4)
        }
    }

    @Test(.enabled(if: DashboardTests.chromium != nil, "needs Chromium (Debian package chromium)"))
    func headlessChromiumRendersTheSweepPages() async throws {
        try await withCoordinator { url, store in
            _ = try Self.seed(store)
            func load(_ page: String) async throws -> String {
                let target = url + "/ui/login?token=" + testToken + "&next=" + page
                return try await DashboardTests.chromiumDOM(target)
            }
            let sweep = try await load("/ui/sweeps/search")
            #expect(sweep.contains("<svg id=\"sweep-curves\"") && sweep.contains("<svg id=\"scatter-training-learningRate\""), "\(sweep.prefix(400))")
            #expect(sweep.contains("id=\"progress-bar\""))
            let group = try await load("/ui/jobs/1/group")
            #expect(group.contains("<svg id=\"group-curves\""))
        }
    }
}
