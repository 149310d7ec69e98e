@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import Testing

/// What a worker reports of packing reaches the leaderboard: the kernel kind and, for a model that
/// could not be packed, why (never a bare "-"); measured latency for every kind, fp included.
@Suite struct PackedFieldsTests {
    @Test func kernelErrorAndLatencyPerKind() throws {
        let store = try JobStore(path: temporaryDatabase())
        _ = try store.submit(try Sweep.parse(Data(cnnSweep("k", grid: #""quantizer.kind": ["fp", "lsq2", "binary"]"#, seeds: [1]).utf8)),
                             document: "{}")
        while let job = try store.claim(worker: "w", host: "h") {
            var r = sampleResult(0.9)
            switch job.config.quantizer.kind {
            case .fp:
                r.packed = PackedInference(kernelPath: nil, kernel: "float", cpu: "c", testImages: nil, latencyBatch1: 0.004,
                                           latencyBatch64: 0.064, floatLatencyBatch1: 0.004, floatLatencyBatch64: 0.064)
            case .lsq2:
                r.packedExact = true
                r.packed = PackedInference(kernelPath: "avx512", kernel: "2bit-signed", cpu: "c", testImages: 10, latencyBatch1: 0.002,
                                           latencyBatch64: 0.032, floatLatencyBatch1: 0.004, floatLatencyBatch64: 0.064)
            default:
                r.packed = PackedInference(cpu: "c", error: "layer2.conv1: no packed kernel for these quantizers")
            }
            try r.validate()
            try store.complete(job: job.id, token: job.claimToken, result: r)
        }
        let t = try store.query(LeaderboardQuery(sort: "id:asc", columns: ["quantizer", "packed_kernel", "packed_error", "packed_latency_ms", "packed_img_s"],
                                                 group: false))
        func col(_ name: String) -> [JSONValue] { t.rows.map { $0[t.columns.firstIndex(of: name)!] } }
        #expect(col("quantizer") == [.string("fp"), .string("lsq2"), .string("binary")])
        #expect(col("packed_kernel") == [.string("float"), .string("2bit-signed"), .null])
        #expect(col("packed_error") == [.null, .null, .string("layer2.conv1: no packed kernel for these quantizers")])
        #expect(col("packed_latency_ms") == [.number(4), .number(2), .null], "fp on the same speed axis")
        #expect(col("packed_img_s") == [.number(1000), .number(2000), .null])
        let failed = try store.query(LeaderboardQuery(filter: "packed_error != ''", columns: ["quantizer"], group: false))
        #expect(failed.rows.map { $0[0] } == [.string("binary")])
    }

    @Test func anErrorExcludesTheExactnessVerdict() {
        var r = sampleResult(0.9)
        r.packed = PackedInference(cpu: "c", error: "no kernel")
        r.packedExact = false
        #expect(throws: SweepError.self) { try r.validate() }
        r.packedExact = nil
        #expect(throws: Never.self) { try r.validate() }
        r.packed = PackedInference(kernelPath: "avx512", kernel: "fatnn", cpu: "c", testImages: 1, latencyBatch1: nil, latencyBatch64: 0.1,
                                   floatLatencyBatch1: 0.1, floatLatencyBatch64: 0.1)
        #expect(throws: SweepError.self, "latencies are required without an error") { try r.validate() }
    }
}
