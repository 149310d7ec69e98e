import Foundation

/// A packed FATNN model for deployment (`fatnn export`): the trained model file it came from,
/// its quantized convolutions as bit planes and its folded integer thresholds.
///
/// Layout (little-endian):
/// ```
/// "FATNNPK1"                      magic (8 bytes)
/// UInt32 n, then n bytes          JSON header: version, architecture, dataset, the source
///                                 model's size and SHA-256, each conv's geometry and plane
///                                 sizes, each fold's channel count
/// source model file               a complete FATNNMD1 file (float layers, quantizer steps)
/// per conv, in execution order    plane0 (UInt64 x rows·words), plane1 (the same), Σw (Int32 x rows)
/// per fold, in execution order    direction, θ1, θ2 (Int32 x channels each)
/// UInt32                          CRC-32 of everything before it
/// ```
/// Weight lanes are `(ky, kx, c)`, channels innermost; plane0 is `Mw = [w ≠ 0]`, plane1
/// `Sw = [w = −1]` (`FATNN.md` §4). Reading checks the magic, version, CRC, every size against
/// the file and against the architecture, and the embedded model file's own checksum.
public struct PackedModelFile {
    public static let magic = Array("FATNNPK1".utf8)
    public static let version = 1

    /// The trained model the packed one was made from.
    public let source: ModelFile
    /// The packed network, assembled from the file's planes and thresholds.
    public let network: PackedNetwork

    struct Header: Codable {
        var version: Int
        var architecture: String
        var dataset: String
        var sourceBytes: Int
        var sourceCRC32: UInt32
        var convs: [Conv]
        var folds: [Int]

        struct Conv: Codable {
            var input: ImageShape
            var outChannels: Int
            var kernel: Int
            var stride: Int
            var padding: Int
        }
    }

    /// Packs the model in `file` (a model file or a training checkpoint of a `fatnn` model).
    /// - Throws: ``PackedNetwork/Error`` if it cannot be packed.
    public static func export(_ file: ModelFile) throws -> Data {
        let network = try PackedNetwork(file.model)
        guard network.convs.allSatisfy({ $0.weights.kind == .fatnn && $0.scales == nil }) else {
            throw PackedNetwork.Error(description: "packed model files hold fatnn models only (this model has convolutions of another kernel or with output scales); `fatnn eval --packed` packs it from its model file")
        }
        var plain = file
        plain.training = nil
        plain.optimizerMoments = [:]
        let source = try plain.encoded()
        let convs = network.convs, folds = network.folds
        let header = Header(version: version, architecture: file.architecture.rawValue, dataset: file.dataset.rawValue,
                            sourceBytes: source.count, sourceCRC32: ModelFile.crc([UInt8](source)),
                            convs: convs.map { .init(input: $0.input, outChannels: $0.output.channels, kernel: $0.kernel,
                                                     stride: $0.stride, padding: $0.padding) },
                            folds: folds.map(\.channels))
        let json = try ModelFile.headerEncoder.encode(header)
        var out = ByteWriter()
        out.bytes = magic
        out.u32(UInt32(json.count))
        out.bytes += json
        out.bytes += source
        for c in convs {
            for w in c.weights.plane0 { out.u64(w) }
            for w in c.weights.plane1 { out.u64(w) }
            for v in c.weights.rowSums { out.u32(UInt32(bitPattern: v)) }
        }
        for f in folds {
            for list in [f.direction, f.theta1, f.theta2] { for v in list { out.u32(UInt32(bitPattern: v)) } }
        }
        out.u32(ModelFile.crc(out.bytes))
        return Data(out.bytes)
    }

    /// Reads and checks a packed model file.
    /// - Throws: `DataError` naming the file and what is wrong with it.
    public static func read(from path: String) throws -> PackedModelFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.cannotOpen(path: path, reason: "no such file or not readable")
        }
        return try decode(data, name: path)
    }

    /// Whether `data` starts with this format's magic.
    public static func isPacked(_ data: Data) -> Bool { data.count >= 8 && Array(data.prefix(8)) == magic }

    /// Decodes and checks a packed model file's bytes; errors name the file `name`.
    public static func decode(_ data: Data, name path: String) throws -> PackedModelFile {
        let b = [UInt8](data)
        func bad(_ why: String) -> DataError { .malformed(path: path, reason: why) }
        guard b.count >= 16, Array(b[0..<8]) == magic else { throw bad("not a packed FATNN model (bad magic; expected FATNNPK1)") }
        var r = ByteReader(bytes: b, end: b.count - 4)
        var trailer = ByteReader(bytes: b, end: b.count, offset: b.count - 4)
        guard ModelFile.crc(Array(b[0..<(b.count - 4)])) == trailer.u32() else {
            throw bad("checksum mismatch: the file is truncated or altered")
        }
        r.offset = 8
        guard let hlen = r.u32().map(Int.init), let json = r.take(hlen) else { throw bad("header runs past the end of the file") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(json)) } catch { throw bad("unreadable header: \(error)") }
        guard header.version == version else { throw bad("format version \(header.version); this build reads version \(version)") }
        guard header.sourceBytes >= 0, let sourceBytes = r.take(header.sourceBytes) else { throw bad("the embedded model runs past the end of the file") }
        guard ModelFile.crc(sourceBytes) == header.sourceCRC32 else { throw bad("the embedded model's CRC-32 does not match the header") }
        let source = try ModelFile.decode(Data(sourceBytes), name: path + " (embedded model)")
        guard source.architecture.rawValue == header.architecture, source.dataset.rawValue == header.dataset else {
            throw bad("the header says \(header.architecture) on \(header.dataset); the embedded model is \(source.architecture.rawValue) on \(source.dataset.rawValue)")
        }
        var convs: [PackedConv] = []
        for (i, c) in header.convs.enumerated() {
            let cin = c.input.channels, bits = c.kernel * c.kernel * cin, words = (bits + 63) / 64
            guard (1...4096).contains(cin), (1...4096).contains(c.outChannels), (1...11).contains(c.kernel), (1...4).contains(c.stride),
                  (0...5).contains(c.padding), (1...4096).contains(c.input.height), (1...4096).contains(c.input.width),
                  let p0 = r.u64s(c.outChannels * words), let p1 = r.u64s(c.outChannels * words), let sums = r.i32s(c.outChannels),
                  let w = PackedWeights(kind: .fatnn, rows: c.outChannels, bits: bits, plane0: p0, plane1: p1, rowSums: sums) else {
                throw bad("convolution \(i): sizes out of range or past the end of the file")
            }
            convs.append(PackedConv(input: c.input, kernel: c.kernel, stride: c.stride, padding: c.padding, weights: w))
        }
        var folds: [FoldedThresholds] = []
        for (i, n) in header.folds.enumerated() {
            guard (1...4096).contains(n), let d = r.i32s(n), let t1 = r.i32s(n), let t2 = r.i32s(n), d.allSatisfy({ $0 == 1 || $0 == -1 }) else {
                throw bad("thresholds \(i): sizes out of range, a direction not ±1, or past the end of the file")
            }
            folds.append(FoldedThresholds(channels: n, direction: d, theta1: t1, theta2: t2))
        }
        guard r.offset == r.end else { throw bad("\(r.end - r.offset) unexpected trailing bytes") }
        do {
            return PackedModelFile(source: source, network: try PackedNetwork(source.model, convs: convs, folds: folds))
        } catch {
            throw bad("the packed layers do not fit the embedded \(source.architecture.rawValue): \(error)")
        }
    }
}

private struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
}

private struct ByteReader {
    let bytes: [UInt8]
    let end: Int
    var offset = 0

    mutating func take(_ n: Int) -> [UInt8]? {
        guard n >= 0, n <= end - offset else { return nil }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }
    mutating func u32() -> UInt32? {
        take(4).map { b in (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[$1]) << UInt32(8 * $1) } }
    }
    mutating func u64s(_ n: Int) -> [UInt64]? {
        guard n >= 0, n <= (end - offset) / 8 else { return nil }
        return (0..<n).map { _ in take(8).map { b in (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[$1]) << UInt64(8 * $1) } }! }
    }
    mutating func i32s(_ n: Int) -> [Int32]? {
        guard n >= 0, n <= (end - offset) / 4 else { return nil }
        return (0..<n).map { _ in Int32(bitPattern: u32()!) }
    }
}
