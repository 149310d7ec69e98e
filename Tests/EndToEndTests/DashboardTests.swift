import FATNNClient
import FATNNCoordinator
import FATNNJobs
import FATNNVocabulary
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The dashboard over real HTTP against a store with seeded results: pages, the token cookie,
/// the query language's errors, the Pareto plot and the training curves; and, where Chromium is
/// installed, the same pages loaded by a headless browser.
@Suite(.serialized) struct DashboardTests {
    /// Two configs (fp, fatnn) x 2 seeds, finished, fatnn with packed latencies; one job left running.
    static func seed(_ store: JobStore) throws {
        _ = try store.submit(try Sweep.parse(Data("""
            { "name": "dash", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1} },
              "grid": {"quantizer.kind": ["fp", "fatnn"]}, "seeds": [1, 2, 3] }
            """.utf8)), document: "{}")
        for _ in 0..<4 {
            let job = try #require(try store.claim(worker: "w<1>", host: "h"))
            let fatnn = job.config.quantizer.kind == .fatnn
            var r = JobResult(testAccuracy: (fatnn ? 0.86 : 0.9) + Double(job.config.seed) / 100, testLoss: 0.3, validationAccuracy: 0.85,
                              trainLoss: 0.2, trainSeconds: 10, imagesPerSecond: 500,
                              epochs: [EpochReport(epoch: 1, trainLoss: 0.6, trainAccuracy: 0.7, validationAccuracy: 0.75, learningRate: 0.1, seconds: 5),
                                       EpochReport(epoch: 2, trainLoss: 0.3, trainAccuracy: 0.85, validationAccuracy: 0.85, learningRate: 0, seconds: 5)],
                              host: "h", threads: 1)
            r.operations = Operations(floatMACs: 1000, quantizedMACs: fatnn ? 9000 : 0, bitOps: fatnn ? 1000 * 1024 + 9000 * 4 : 10000 * 1024)
            if fatnn {
                r.packed = PackedInference(kernelPath: "avx2", kernel: "fatnn", cpu: "test", testImages: 10, latencyBatch1: 0.002, latencyBatch64: 0.05,
                                           floatLatencyBatch1: 0.003, floatLatencyBatch64: 0.06)
            }
            try store.complete(job: job.id, token: job.claimToken, result: r)
        }
        _ = try store.claim(worker: "live-worker", host: "h2")
    }

    /// A page, with `token` as a bearer header (the session cookie is tested in
    /// `DashboardSessionTests`).
    static func get(_ url: String, token: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = 60
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func pagesRenderBehindTheToken() async throws {
        try await withCoordinator { url, store in
            try Self.seed(store)
            let (_, anonymous) = try await Self.get(url + "/ui")
            #expect(anonymous.contains("id=\"login\"") && !anonymous.contains("id=\"leaderboard\""), "no token: the login page")
            let (bad, _) = try await Self.get(url + "/ui/login?token=not-the-token")
            #expect(bad == 401)

            let (status, board) = try await Self.get(url + "/ui", token: testToken)
            #expect(status == 200 && board.contains("<table id=\"leaderboard\""))
            #expect(board.contains("<td>fatnn</td>") && board.contains("<td>fp</td>"))
            // The seeded fp result has no measured latency: the latency plot shows fatnn and lists
            // fp under it; the bit-operations plot, a second plot, shows both.
            #expect(board.contains("Accuracy against measured latency") && board.contains("Accuracy against bit-operations"))
            #expect(board.components(separatedBy: "<g class=\"point\"").count - 1 == 3, "fatnn on the latency plot, both on the bit-operations plot")
            #expect(board.contains("id=\"pareto-not-plotted\"") && !board.contains("id=\"pareto-bops-not-plotted\""))
            let (_, packedOnly) = try await Self.get(url + "/ui?where=quantizer%20%3D%20fatnn", token: testToken)
            #expect(packedOnly.contains("Accuracy against measured latency") && !packedOnly.contains("not-plotted"))
            #expect(!board.contains("w<1>"), "values are escaped")

            let (_, filtered) = try await Self.get(url + "/ui?where=" + "quantizer = fatnn".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, token: testToken)
            #expect(filtered.contains("<td>fatnn</td>") && !filtered.contains("<td>fp</td>"))
            let (_, wrong) = try await Self.get(url + "/ui?where=model%20%3D%3D%20x", token: testToken)
            #expect(wrong.contains("id=\"query-error\"") && wrong.contains("not an operator") && wrong.contains("^"))

            let (_, progress) = try await Self.get(url + "/ui/progress", token: testToken)
            #expect(progress.contains("data-sweep=\"dash\"") && progress.contains("live-worker"))
            #expect(progress.contains("<meta http-equiv=\"refresh\" content=\"5\">"), "progress reloads itself")
            let (_, still) = try await Self.get(url + "/ui/progress?refresh=0", token: testToken)
            #expect(!still.contains("http-equiv=\"refresh\""))
            let (badStatus, _) = try await Self.get(url + "/ui/progress?refresh=soon", token: testToken)
            #expect(badStatus == 400)
            let (_, job) = try await Self.get(url + "/ui/jobs/1", token: testToken)
            #expect(job.contains("id=\"curves\"") && job.components(separatedBy: "class=\"series\"").count - 1 == 3)
            #expect(job.contains("<table id=\"attempts\"") && job.contains("w&lt;1&gt;"))
        }
    }

    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Headless Chromium logs in with the token query (which sets the cookie) and renders the
    /// leaderboard; the test asserts on the DOM it dumps.
    @Test(.enabled(if: chromium != nil, "needs Chromium (Debian package chromium)"))
    func headlessChromiumRendersTheLeaderboard() async throws {
        try await withCoordinator { url, store in
            try Self.seed(store)
            func load(_ page: String) async throws -> String {
                let target = url + "/ui/login?token=" + testToken + "&next=" + page
                return try await Self.chromiumDOM(target)
            }
            let dom = try await load("/ui")
            #expect(dom.contains("<table id=\"leaderboard\""), "\(dom.prefix(500))")
            #expect(dom.contains("<svg id=\"pareto\"") && dom.contains("<svg id=\"pareto-bops\"")
                    && dom.components(separatedBy: "class=\"point\"").count - 1 == 3)
            let progress = try await load("/ui/progress")
            #expect(progress.contains("<table id=\"sweeps\"") && progress.contains("<table id=\"live\""))
            let job = try await load("/ui/jobs/1")
            #expect(job.contains("<svg id=\"curves\"") && job.contains("<table id=\"attempts\""))
        }
    }

    /// The DOM Chromium renders for `url`. Chromium runs on a dispatch thread, never on the
    /// cooperative pool: the coordinator under test answers it from that pool, which on 2 cores
    /// has 2 threads, and two tests blocking one each left it none (both hung until killed).
    static func chromiumDOM(_ url: String) async throws -> String {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async { c.resume(with: Result { try runChromium(["--dump-dom", url]) }) }
        }
    }

    /// One Chromium at a time, each killed after 120 s.
    static let chromiumLock = NSLock()

    static func runChromium(_ args: [String]) throws -> String {
        chromiumLock.lock()
        defer { chromiumLock.unlock() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium!)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + NSTemporaryDirectory() + "fatnn-chromium-" + UUID().uuidString] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let watchdog = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        defer { watchdog.cancel() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
