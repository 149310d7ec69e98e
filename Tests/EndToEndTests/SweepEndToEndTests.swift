import FATNNClient
import FATNNCoordinator
import FATNNJobs
import FATNNWorker
import Foundation
import Logging
import Testing

@Suite(.serialized) struct SweepEndToEndTests {
    /// Two jobs on 2,000 real Fashion-MNIST training images, one epoch each, through a real HTTP
    /// coordinator and an in-process worker.
    @Test func twoJobSweepOnRealFashionMNIST() async throws {
        let sweep = """
            { "name": "e2e", "base": { "model": "mlp",
                "dataset": {"name": "fashion-mnist", "validationFraction": 0.05, "trainLimit": 2000},
                "training": {"epochs": 1, "batchSize": 64, "learningRate": 0.1} },
              "seeds": [1, 2] }
            """
        try await withCoordinator { url, store in
            let client = try testClient(url)
            let submitted = try await client.submit(document: Data(sweep.utf8))
            #expect(submitted.added == 2)
            let finished = try await quietWorker(url).run()
            #expect(finished == 2)
            let rows = try await client.leaderboard()
            #expect(rows.count == 2)
            for row in rows {
                #expect(row.state == .succeeded)
                #expect((row.testAccuracy ?? 0) > 0.70, "job \(row.id): test accuracy \(row.testAccuracy ?? 0)")
                #expect(row.validationAccuracy != nil && row.trainSeconds != nil)
            }
            #expect(rows[0].testAccuracy! >= rows[1].testAccuracy!)
            #expect(try await client.status().counts == ["queued": 0, "leased": 0, "succeeded": 2, "failed": 0, "dead": 0, "cancelled": 0, "pruned": 0])
            #expect(try store.counts()["succeeded"] == 2)
        }
    }

    @Test func wrongTokenIsRejected() async throws {
        try await withCoordinator { url, _ in
            let bad = try CoordinatorClient(baseURL: url, token: "wrong-token-0123456789")
            do {
                _ = try await bad.status()
                Issue.record("a wrong token was accepted")
            } catch let e as ClientError {
                #expect(e == .http(status: 401, code: .unauthorized, message: "wrong or revoked bearer token: this route needs a worker or admin token"))
            }
        }
    }

    @Test func invalidSweepIsRejectedWithItsPathAndStoresNothing() async throws {
        try await withCoordinator { url, store in
            let client = try testClient(url)
            let doc = #"{ "name": "x", "base": {"model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 0, "learningRate": 0.1}}, "seeds": [1] }"#
            do {
                _ = try await client.submit(document: Data(doc.utf8))
                Issue.record("invalid sweep accepted")
            } catch let e as ClientError {
                guard case .http(_, .invalidSweep, let message) = e else { Issue.record("unexpected \(e)"); return }
                #expect(message.contains("base.training.epochs"))
            }
            #expect(try store.counts().values.reduce(0, +) == 0)
        }
    }

    @Test func workerWaitsForAnUnreachableCoordinator() async throws {
        // Nothing listens on this port: claims fail transiently and the retry policy gives up
        // after its attempts, with the transport error.
        let worker = try Worker(options: WorkerOptions(coordinator: "http://127.0.0.1:9", token: "t", once: true),
                                logger: Logger(label: "test"), retry: RetryPolicy(initialDelay: 0.01, maxDelay: 0.02, maxAttempts: 3))
        do {
            try await worker.run()
            Issue.record("worker ran without a coordinator")
        } catch let e as ClientError {
            #expect(e.isTransient)
            #expect(e.description.hasPrefix("coordinator unreachable at http://127.0.0.1:9"))
        }
    }
}
