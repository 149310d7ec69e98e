@testable import FATNNWorker
import FATNNClient
import FATNNCoordinator
import FATNNJobs
import FATNNTestSupport
import Foundation
import Logging
import Testing

/// Workers on hosts without a dataset fetch it from the coordinator into a cache shared by the
/// host's workers.
@Suite(.serialized) struct DatasetFetchTests {
    /// A generated Fashion-MNIST-format folder, served as `ROOT/fashion-mnist`.
    static func servedRoot() throws -> (root: String, files: [String]) {
        let data = IDXFixtures.dataset(train: 600, test: 200, gzip: true)
        let root = try temporaryFolder("fatnn-served")
        try FileManager.default.moveItem(atPath: data, toPath: root + "/fashion-mnist")
        return (root, try FileManager.default.contentsOfDirectory(atPath: root + "/fashion-mnist").sorted())
    }

    @Test func workerFetchesTheDatasetOnceIntoTheHostCacheAndRunsTheJob() async throws {
        let (root, files) = try Self.servedRoot()
        let cacheDir = try temporaryFolder("fatnn-dscache")
        let sweep = #"{ "name": "fetch", "base": {"model": "mlp", "dataset": {"name": "fashion-mnist", "validationFraction": 0.1}, "training": {"epochs": 1, "batchSize": 50, "learningRate": 0.1}}, "seeds": [1, 2] }"#
        try await withCoordinator(datasets: DatasetLibrary(dataDirectory: root)) { url, store in
            let client = try testClient(url)
            let manifest = try await client.datasetManifest("fashion-mnist")
            #expect(manifest.files.map(\.name) == files)
            _ = try await client.submit(document: Data(sweep.utf8))
            var logger = Logger(label: "test-worker")
            logger.logLevel = .critical
            let worker = try Worker(options: WorkerOptions(coordinator: url, token: testToken, exitWhenIdle: true, checkpointDirectory: nil,
                                                           datasetSource: .coordinator, datasetCacheDirectory: cacheDir), logger: logger)
            #expect(try await worker.run() == 2)
            let rows = try await client.leaderboard()
            // The jobs ran on the served 600 images (540 for training), not the system's 60,000.
            #expect(rows.allSatisfy { $0.state == .succeeded })
            for row in rows {
                let result = try #require(try store.result(job: row.id))
                let images = result.imagesPerSecond * result.trainSeconds
                #expect(abs(images - 540) < 5, "job \(row.id) trained on \(images) images")
            }
            for file in files {
                #expect(FileManager.default.contents(atPath: cacheDir + "/fashion-mnist/" + file)
                        == FileManager.default.contents(atPath: root + "/fashion-mnist/" + file))
            }
        }
    }

    @Test func concurrentFetchesDownloadEachFileOnceAndStaleCopiesAreReplaced() async throws {
        let (root, files) = try Self.servedRoot()
        let cacheDir = try temporaryFolder("fatnn-dscache")
        try await withCoordinator(datasets: DatasetLibrary(dataDirectory: root)) { url, _ in
            let client = try testClient(url)
            let manifest = try await client.datasetManifest("fashion-mnist")
            let downloads = Counter()
            let cache = HostDatasetCache(root: cacheDir)
            let fetch: @Sendable (API.DatasetFile) async throws -> Data = { file in
                await downloads.add(file.name)
                return try await client.downloadDatasetFile("fashion-mnist", file.name)
            }
            // Two fetchers at once (two worker processes on one host): the lock lets one download.
            async let a = cache.directory(for: manifest, download: fetch)
            async let b = cache.directory(for: manifest, download: fetch)
            let (first, second) = try await (a, b)
            #expect(first.downloaded + second.downloaded == files.count)
            #expect(await downloads.names.sorted() == files)

            // A damaged copy is fetched again; a file the coordinator no longer lists goes.
            let damaged = cacheDir + "/fashion-mnist/" + files[0]
            var bytes = try #require(FileManager.default.contents(atPath: damaged))
            bytes[bytes.count / 2] ^= 0xff
            try bytes.write(to: URL(fileURLWithPath: damaged))
            try Data("old".utf8).write(to: URL(fileURLWithPath: cacheDir + "/fashion-mnist/leftover.bin"))
            let again = try await cache.directory(for: manifest, download: fetch)
            #expect(again.downloaded == 1)
            #expect(FileManager.default.contents(atPath: damaged) == FileManager.default.contents(atPath: root + "/fashion-mnist/" + files[0]))
            #expect(!FileManager.default.fileExists(atPath: cacheDir + "/fashion-mnist/leftover.bin"))

            // Bytes that do not match the manifest are never put in the cache.
            var wrong = manifest
            wrong.files[1].sha256 = String(repeating: "0", count: 64)
            try FileManager.default.removeItem(atPath: cacheDir + "/fashion-mnist/" + files[1])
            await #expect(throws: (any Error).self) { try await cache.directory(for: wrong, download: fetch) }
            #expect(!FileManager.default.fileExists(atPath: cacheDir + "/fashion-mnist/" + files[1]))
        }
    }

    @Test func coordinatorRefusesUnknownDatasetsFilesAndNames() async throws {
        let (root, _) = try Self.servedRoot()
        try await withCoordinator(datasets: DatasetLibrary(dataDirectory: root)) { url, _ in
            let client = try testClient(url)
            await #expect { try await client.datasetManifest("imagenet") } throws: {
                "\($0)".contains("404") && "\($0)".contains("unknown dataset 'imagenet'")
            }
            await #expect { try await client.datasetManifest("mnist") } throws: {
                "\($0)".contains("404") && "\($0)".contains("has no mnist/ directory")
            }
            let missing = API.DatasetFile(name: "passwd", size: 1, sha256: String(repeating: "0", count: 64))
            await #expect { try await client.downloadDatasetFile("fashion-mnist", missing.name) } throws: {
                "\($0)".contains("404") && "\($0)".contains("not a file of dataset fashion-mnist")
            }
            let traversal = API.DatasetFile(name: "..%2F..%2Fetc%2Fpasswd", size: 1, sha256: "")
            await #expect { try await client.downloadDatasetFile("fashion-mnist", traversal.name) } throws: {
                "\($0)".contains("400") || "\($0)".contains("404")
            }
            let anonymous = try CoordinatorClient(baseURL: url, token: "not-the-token-at-all")
            await #expect { try await anonymous.datasetManifest("fashion-mnist") } throws: { "\($0)".contains("401") }
        }
        #expect(!API.DatasetFile.isValidName("..") && !API.DatasetFile.isValidName("a/b") && !API.DatasetFile.isValidName(".hidden"))
        #expect(API.DatasetFile.isValidName("train-images-idx3-ubyte.gz") && API.DatasetFile.isValidName("data_batch_1.bin"))
    }
}

/// Names recorded from several tasks.
actor Counter {
    var names: [String] = []
    func add(_ name: String) { names.append(name) }
}
