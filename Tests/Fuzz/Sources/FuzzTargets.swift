import FATNNEngine
import FATNNJobs
import FATNNVocabulary
import Foundation

/// One libFuzzer entry point for every target; `FATNN_FUZZ_TARGET` picks which decoder the
/// bytes go to. Each target must only ever throw on bad input: a trap, an out-of-bounds access
/// (address sanitizer) or a leak is a finding.
///
/// Targets: `model` (ModelFile, trained models and checkpoints), `packed` (PackedModelFile),
/// `sweep` (sweep documents), `result` (a worker's result request), `claim` (a claim reply as a
/// worker reads it), `filter` (the `--where` language), `idx` (IDX dataset files), and one
/// differential target, `kernels`: the bytes choose a kind, a shape and the codes, and every CPU
/// path's packed product must equal the scalar oracle's (this build is optimized, as the
/// benchmarks are; the unit tests run unoptimized C).
enum FuzzTarget: String, CaseIterable {
    case model, packed, sweep, result, claim, filter, idx, kernels

    static let current: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FATNN_FUZZ_TARGET"] ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("set FATNN_FUZZ_TARGET to one of \(allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return t
    }()

    func run(_ bytes: [UInt8]) {
        switch self {
        case .model:
            // The checksum is appended so the fuzzer reaches the header and tensor checks behind it.
            _ = try? ModelFile.decode(Data(bytes + crc32LE(bytes)), name: "fuzz")
        case .packed:
            _ = try? PackedModelFile.decode(Data(bytes + crc32LE(bytes)), name: "fuzz")
        case .sweep:
            _ = try? Sweep.parse(Data(bytes))
        case .result:
            if let r = try? JSONDecoder().decode(API.CompleteRequest.self, from: Data(bytes)) { _ = try? r.result.validate() }
        case .claim:
            if let c = try? JSONDecoder().decode(API.ClaimResponse.self, from: Data(bytes)) { _ = try? c.job?.config.revalidated() }
        case .filter:
            _ = try? WhereExpression.parse(String(decoding: bytes, as: UTF8.self))
            _ = try? LeaderboardQuery.from(items: [("where", String(decoding: bytes, as: UTF8.self)), ("sort", "test_acc")])
        case .idx:
            _ = try? IDXReader.images(bytes, name: "fuzz")
            _ = try? IDXReader.labels(bytes, name: "fuzz")
        case .kernels:
            KernelCase(bytes).check()
        }
    }
}

/// A packed product drawn from bytes: kind, rows (1-6), reduction (1-96 words, a few lanes
/// short of whole words), columns (1-24), then the codes, bytes taken two bits at a time.
struct KernelCase {
    let kind: PackedKernel.Kind
    let rows: Int, bits: Int, columns: Int
    let weights: [Int8], activations: [Int8]

    init(_ bytes: [UInt8]) {
        func at(_ i: Int) -> Int { i < bytes.count ? Int(bytes[i]) : 0 }
        let kind = PackedKernel.Kind.allCases[at(0) % PackedKernel.Kind.allCases.count]
        let rows = 1 + at(1) % 6, bits = max(1, (1 + at(2) % 96) * 64 - at(3) % 64), columns = 1 + at(4) % 24
        let body = Array(bytes.dropFirst(5))
        func code(_ i: Int, weight: Bool) -> Int8 {
            let r = body.isEmpty ? 0 : Int8(body[(i / 4) % body.count] >> UInt8(2 * (i % 4)) & 3)
            switch kind {
            case .fatnn, .tnn4: return weight ? (r == 3 ? 1 : r - 1) : (r == 3 ? 2 : r)
            case .fatnnA2: return weight ? (r == 3 ? 1 : r - 1) : r
            case .twoBit: return r
            case .twoBitSigned: return weight ? r - 2 : r
            case .binary: return r & 1 == 0 ? -1 : 1
            }
        }
        self.kind = kind
        (self.rows, self.bits, self.columns) = (rows, bits, columns)
        weights = (0..<rows * bits).map { code($0, weight: true) }
        activations = (0..<bits * columns).map { code(rows * bits + $0, weight: false) }
    }

    func check() {
        let pw = PackedWeights(kind: kind, rows: rows, bits: bits, codes: weights)
        let px = PackedActivations(kind: kind, columns: columns, bits: bits) { k, n in activations[k * columns + n] }
        let oracle = PackedKernel.multiply(pw, px, path: .scalar)
        for path in PackedKernel.Path.supported where path != .scalar {
            for threads in [1, 2] where PackedKernel.multiply(pw, px, path: path, threads: threads) != oracle {
                fatalError("\(kind) \(rows)x\(bits)x\(columns): the \(path) path (\(threads) threads) differs from the scalar oracle")
            }
        }
    }
}

/// CRC-32 (IEEE, as zlib computes it) of `bytes`, little-endian.
func crc32LE(_ bytes: [UInt8]) -> [UInt8] {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
    }
    c ^= 0xFFFF_FFFF
    return (0..<4).map { UInt8(truncatingIfNeeded: c >> UInt32(8 * $0)) }
}

/// Seed inputs for every target, written to `DIR/TARGET/` (run once with
/// `FATNN_FUZZ_WRITE_SEEDS=DIR`; scripts/fuzz.sh adds the sweep files of Jobs/).
enum Seeds {
    static func write(to dir: String) throws {
        func put(_ target: FuzzTarget, _ name: String, _ bytes: [UInt8]) throws {
            let folder = dir + "/" + target.rawValue
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        let shape = ImageShape(channels: 1, height: 28, width: 28)
        let fatnn = QuantizerSettings(kind: .fatnn, activationInitFromData: true)
        let net = ModelArchitecture.cnnS.build(input: shape, classes: 10, seed: 1, quantizer: fatnn)
        var model = ModelFile(architecture: .cnnS, dataset: .fashionMNIST, input: shape, model: net, quantizer: fatnn)
        // The targets append the checksum themselves: seeds are files without their last 4 bytes.
        try put(.model, "cnn-s-fatnn", Array(try model.encoded().dropLast(4)))
        try put(.packed, "cnn-s-fatnn", Array(try PackedModelFile.export(model).dropLast(4)))
        model.training = try JSONDecoder().decode(TrainingState.self, from: Data(#"""
            {"epoch": 1, "step": 3, "orderPosition": 1, "augmentPosition": 2, "history": [{"epoch": 1, "trainLoss": 0.5,
             "trainAccuracy": 0.8, "validationAccuracy": 0.7, "learningRate": 0.1, "seconds": 1, "images": 10}]}
            """#.utf8))
        try put(.model, "cnn-s-fatnn-checkpoint", Array(try model.encoded().dropLast(4)))
        let mlp = ModelArchitecture.mlp.build(input: shape, classes: 10, seed: 1)
        try put(.model, "mlp-fp", Array(try ModelFile(architecture: .mlp, dataset: .fashionMNIST, input: shape, model: mlp).encoded().dropLast(4)))

        var result = JobResult(testAccuracy: 0.9, testLoss: 0.3, validationAccuracy: 0.89, trainLoss: 0.2, trainSeconds: 10,
                               imagesPerSecond: 1000, epochs: [EpochReport(epoch: 1, trainLoss: 0.2, trainAccuracy: 0.9,
                                                                            validationAccuracy: 0.89, learningRate: 0.1, seconds: 10)],
                               host: "h", threads: 2)
        result.packedExact = true
        result.packed = PackedInference(kernelPath: "avx2", kernel: "fatnn", cpu: "c", testImages: 10, latencyBatch1: 1e-3,
                                        latencyBatch64: 1e-2, floatLatencyBatch1: 2e-3, floatLatencyBatch64: 2e-2)
        result.operations = Operations(floatMACs: 10, quantizedMACs: 100, bitOps: 1e6)
        result.codeVersion = CodeVersion(commit: "unknown", dirty: false)
        let encoder = JSONEncoder()
        try put(.result, "complete", Array(try encoder.encode(API.CompleteRequest(claimToken: String(repeating: "a", count: 64), result: result))))

        let sweep = try Sweep.parse(Data(#"{"name": "s", "base": {"model": "resnet20", "dataset": {"name": "fashion-mnist", "validationFraction": 0.1, "trainLimit": 1000}, "quantizer": {"kind": "fatnn", "params": {"activationInit": 2}}, "training": {"epochs": 2, "learningRate": 0.1, "optimizer": "sgd", "momentum": 0.9, "nesterov": true, "weightDecay": 0.0005, "schedule": "cosine"}}, "seeds": [1]}"#.utf8))
        let claim = API.ClaimResponse(job: API.ClaimedJob(id: 3, claimToken: String(repeating: "b", count: 64), config: sweep.jobs[0],
                                                          leaseSeconds: 60, attempt: 2, replica: 1), pending: true)
        try put(.claim, "claim", Array(try encoder.encode(claim)))
        try put(.claim, "none", Array(#"{"pending":false}"#.utf8))

        for (i, f) in ["quantizer in (fatnn, tnn) and test_acc > 0.8 or not (lr <= 0.01)", "model = resnet20 and training.momentum != 0.9",
                       "(seed = 1 or seed = 2) and packed_exact = true and dataset = 'fashion-mnist'"].enumerated() {
            try put(.filter, "filter\(i)", Array(f.utf8))
        }
        var images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3]
        images += (0..<18).map { UInt8($0 * 13) }
        try put(.idx, "images", images)
        try put(.idx, "labels", [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 9])
        for kind in 0..<PackedKernel.Kind.allCases.count {
            // 1, 17 and 72 words: the byte-lookup kernel, the tree's odd blocks, the large shape's K.
            for words in [0, 16, 71] {
                try put(.kernels, "kind\(kind)-words\(words + 1)", [UInt8(kind), 4, UInt8(words), 3, 17] + (0..<64).map { UInt8(($0 * 37 + kind) & 0xff) })
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let dir = ProcessInfo.processInfo.environment["FATNN_FUZZ_WRITE_SEEDS"] {
        // _exit, not exit: libFuzzer reports a target that calls exit as a crash.
        do { try Seeds.write(to: dir) } catch {
            FileHandle.standardError.write(Data("cannot write seeds: \(error)\n".utf8))
            _exit(1)
        }
        _exit(0)
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTarget.current.run(bytes)
    return 0
}
