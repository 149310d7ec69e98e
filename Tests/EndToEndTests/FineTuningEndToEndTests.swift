import FATNNClient
import FATNNCoordinator
import FATNNEngine
import FATNNJobs
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

/// A two-stage sweep (full precision, then fatnn, lsq2 and binary fine-tuned from it) through a real coordinator
/// and worker over HTTP: the second job waits for the first, fetches its model from the
/// coordinator and starts from its weights.
@Suite struct FineTuningEndToEndTests {
    @Test func quantizedStageStartsFromTheFullPrecisionModel() async throws {
        // Small synthetic data in the Fashion-MNIST file layout, under DIR/fashion-mnist.
        let root = try temporaryFolder("fatnn-stages")
        try FileManager.default.moveItem(atPath: IDXFixtures.dataset(train: 300, test: 100, gzip: true), toPath: root + "/fashion-mnist")
        let sweep = """
            { "name": "stages", "seeds": [3],
              "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist", "validationFraction": 0.1},
                        "training": {"epochs": 1, "batchSize": 30, "learningRate": 0.05} },
              "stages": [ {"name": "fp"},
                          {"name": "fatnn", "from": "fp", "base": {"training": {"learningRate": 1e-6}},
                           "grid": {"quantizer.kind": ["fatnn", "lsq2", "binary"]}} ] }
            """
        let jobs = try Sweep.parse(Data(sweep.utf8)).jobs
        try await withCoordinator { url, store in
            let client = try testClient(url)
            _ = try await client.submit(document: Data(sweep.utf8))
            #expect(try await quietWorker(url, dataDirectory: root).run() == 4)
            let rows = try await client.leaderboard()
            #expect(rows.count == 4 && rows.allSatisfy { $0.state == .succeeded }, "\(rows)")
            // Both models are stored; the child's latent weights are the parent's trained ones
            // (moved by a learning rate of 1e-6 only), not its seed's initialization.
            let parent = try ModelFile.decode(try await client.downloadArtifact(configHash: jobs[0].configHash), name: "parent")
            let child = try ModelFile.decode(try await client.downloadArtifact(configHash: jobs[1].configHash), name: "child")
            #expect(parent.quantizer.kind == .fp && child.quantizer.kind == .fatnn)
            func weights(_ m: Sequential) -> [String: [Float]] { Dictionary(uniqueKeysWithValues: m.parameters.map { ($0.name, $0.value) }) }
            let trained = weights(parent.model), tuned = weights(child.model)
            let initial = weights(ModelArchitecture.cnnS.build(input: parent.input, classes: 10, seed: 3))
            let name = "block3.conv.weight"
            let fromParent = zip(try #require(tuned[name]), try #require(trained[name])).map { abs($0 - $1) }.max()!
            let fromInit = zip(try #require(trained[name]), try #require(initial[name])).map { abs($0 - $1) }.max()!
            #expect(fromParent < 1e-4 && fromInit > 1e-2, "child vs parent \(fromParent), parent vs init \(fromInit)")
            // The worker packs the ternary job's model, checks it bit for bit on the test set and
            // measures packed against float inference; the full-precision job is timed on the float
            // engine (the same speed axis), with no exactness check.
            let fp = try #require(rows.first { $0.quantizer == "fp" }), q = try #require(rows.first { $0.quantizer == "fatnn" })
            #expect(fp.packedExact == nil && (fp.packedImagesPerSecond ?? 0) > 0, "\(fp)")
            let fpPacked = try #require(try store.result(job: fp.id)?.packed)
            #expect(fpPacked.kernel == "float" && fpPacked.kernelPath == nil && fpPacked.latencyBatch1 == fpPacked.floatLatencyBatch1)
            #expect(q.packedExact == true && (q.packedImagesPerSecond ?? 0) > 0 && (q.packedLatencyBatch1 ?? 0) > 0, "\(q)")
            let result = try #require(try store.result(job: q.id))
            let packed = try #require(result.packed)
            #expect(result.packedExact == true && packed.testImages == 100 && packed.kernelPath == PackedKernel.Path.best.rawValue)
            #expect((packed.floatLatencyBatch64 ?? 0) > 0 && !packed.cpu.isEmpty && packed.kernel == "fatnn" && packed.error == nil)
            // Every other quantized kind too, on its own kernel.
            for (kind, kernel) in [("lsq2", "2bit-signed"), ("binary", "binary")] {
                let row = try #require(rows.first { $0.quantizer == kind })
                let other = try #require(try store.result(job: row.id)?.packed)
                #expect(row.packedExact == true && other.kernel == kernel && (other.latencyBatch1 ?? 0) > 0 && other.error == nil, "\(kind): \(other)")
            }
        }
    }
}
