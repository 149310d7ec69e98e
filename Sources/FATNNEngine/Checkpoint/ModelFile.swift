import CZlib
import FATNNVocabulary
import Foundation

/// A trained full-precision model on disk: architecture, dataset, and every parameter and buffer.
///
/// Layout (little-endian), version 1:
/// ```
/// "FATNNMD1"            8 bytes  magic and version
/// headerLength          UInt32
/// header                JSON: {"architecture","dataset","input":{"channels","height","width"},"classes","tensors":[{"name","count"}]}
/// tensors               Float32 x count, in header order
/// crc32                 UInt32 of all preceding bytes
/// ```
/// A truncated, altered or foreign file is rejected with an error naming the file.
///
/// A training checkpoint is the same file with a `training` header field (``TrainingState``) and
/// more tensors: `NAME.velocity` for every parameter and `NAME.adam_v` for Adam's second moments.
public struct ModelFile {
    /// Encodes headers with sorted keys, so that the same model gives the same bytes in every
    /// process (Swift seeds its dictionary hashing per process).
    static let headerEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// The file's magic number, which also fixes its version.
    public static let magic = Array("FATNNMD1".utf8)

    struct Header: Codable {
        struct Tensor: Codable { var name: String; var count: Int }
        var architecture: String
        var dataset: String
        var input: ImageShape
        var classes: Int
        var tensors: [Tensor]
        var training: TrainingState?
        /// Absent for full precision.
        var quantizer: QuantizerSettings?
    }

    /// The architecture.
    public let architecture: ModelArchitecture
    /// The dataset the model was trained on.
    public let dataset: DatasetName
    /// The network, with its trained values.
    public let model: Sequential
    /// How the network's convolutions are quantized.
    public let quantizer: QuantizerSettings

    /// Shape of the images the network takes.
    public let input: ImageShape
    /// For a training checkpoint: where the run is (nil for a plain model file).
    public var training: TrainingState?
    /// For a training checkpoint: Adam's second moments by parameter name.
    public var optimizerMoments: [String: [Float]] = [:]

    /// A model file for a trained `model`.
    public init(architecture: ModelArchitecture, dataset: DatasetName, input: ImageShape, model: Sequential,
                quantizer: QuantizerSettings = .fp) {
        self.quantizer = quantizer
        self.architecture = architecture
        self.dataset = dataset
        self.input = input
        self.model = model
    }


    /// Writes the file atomically (a temporary file renamed into place).
    public func write(to path: String) throws {
        try encoded().write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        var values: [(String, [Float])] = model.parameters.map { ($0.name, $0.value) }
        values += model.buffers.map { ($0.name, $0.value) }
        if training != nil {
            values += model.parameters.map { ($0.name + ".velocity", $0.velocity) }
            values += optimizerMoments.sorted { $0.key < $1.key }.map { ($0.key + ".adam_v", $0.value) }
        }
        let header = Header(architecture: architecture.rawValue, dataset: dataset.rawValue,
                            input: input, classes: dataset.classes,
                            tensors: values.map { .init(name: $0.0, count: $0.1.count) }, training: training,
                            quantizer: quantizer.kind == .fp ? nil : quantizer)
        let json = try ModelFile.headerEncoder.encode(header)
        var bytes = Self.magic
        appendLE(&bytes, UInt32(json.count))
        bytes += json
        for (_, v) in values { for f in v { appendLE(&bytes, f.bitPattern) } }
        appendLE(&bytes, Self.crc(bytes))
        return Data(bytes)
    }

    /// Reads and verifies a model file.
    ///
    /// - Throws: `DataError` naming the file and what is wrong with it.
    public static func read(from path: String) throws -> ModelFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.cannotOpen(path: path, reason: "no such file or not readable")
        }
        return try decode(data, name: path)
    }

    /// Decodes and verifies a model file's bytes; errors name the file `name`.
    public static func decode(_ data: Data, name path: String) throws -> ModelFile {
        let b = [UInt8](data)
        func bad(_ why: String) -> DataError { .malformed(path: path, reason: why) }
        guard b.count >= 16, Array(b[0..<8]) == magic else { throw bad("not a FATNN model file (bad magic; expected FATNNMD1)") }
        let stored = readLE(b, b.count - 4)
        guard crc(Array(b[0..<(b.count - 4)])) == stored else { throw bad("checksum mismatch: the file is truncated or altered") }
        let hlen = Int(readLE(b, 8))
        guard 12 + hlen <= b.count - 4 else { throw bad("header length \(hlen) exceeds the file") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(b[12..<(12 + hlen)])) } catch {
            throw bad("unreadable header: \(error)")
        }
        guard let arch = ModelArchitecture(rawValue: header.architecture) else { throw bad("unknown architecture '\(header.architecture)'") }
        guard let ds = DatasetName(rawValue: header.dataset) else { throw bad("unknown dataset '\(header.dataset)'") }
        let i = header.input
        guard (1...4096).contains(i.channels), (1...4096).contains(i.height), (1...4096).contains(i.width), i.count <= 1 << 22 else {
            throw bad("input shape \(i) is out of range")
        }
        guard i == ds.imageShape else { throw bad("input shape is \(i); dataset \(ds.rawValue) has \(ds.imageShape)") }
        guard header.classes == ds.classes else { throw bad("classes is \(header.classes); dataset \(ds.rawValue) has \(ds.classes)") }
        let quantizer = header.quantizer ?? .fp
        if let problem = quantizer.problem { throw bad("header quantizer: \(problem)") }
        if let training = header.training, let problem = training.problem { throw bad("header training: \(problem)") }
        guard header.tensors.count <= 10_000 else { throw bad("header lists \(header.tensors.count) tensors") }
        guard arch.supports(quantizer) else { throw bad("\(arch.rawValue) cannot be quantized with \(quantizer.kind.rawValue)") }
        let model = arch.build(input: i, classes: header.classes, seed: 0, quantizer: quantizer)
        var slots: [String: (Int, ([Float]) -> Void)] = [:]
        for p in model.parameters { slots[p.name] = (p.value.count, { p.value = $0 }) }
        for q in model.buffers { slots[q.name] = (q.value.count, { q.value = $0 }) }
        var moments: [String: [Float]] = [:]
        if header.training != nil {
            for p in model.parameters {
                slots[p.name + ".velocity"] = (p.value.count, { p.velocity = $0 })
                if header.tensors.contains(where: { $0.name == p.name + ".adam_v" }) {
                    slots[p.name + ".adam_v"] = (p.value.count, { moments[p.name] = $0 })
                }
            }
        }
        guard Set(header.tensors.map(\.name)) == Set(slots.keys), header.tensors.count == slots.count else {
            throw bad("tensors do not match architecture '\(arch.rawValue)'")
        }
        var offset = 12 + hlen
        for t in header.tensors {
            guard let (count, assign) = slots[t.name], count == t.count else { throw bad("tensor \(t.name) has \(t.count) values, expected \(slots[t.name]?.0 ?? 0)") }
            guard offset + 4 * count <= b.count - 4 else { throw bad("tensor \(t.name) runs past the end of the file") }
            let values = (0..<count).map { Float(bitPattern: readLE(b, offset + 4 * $0)) }
            if let i = values.firstIndex(where: { !$0.isFinite }) { throw bad("tensor \(t.name) value \(i) is \(values[i]), not a finite number") }
            assign(values)
            offset += 4 * count
        }
        guard offset == b.count - 4 else { throw bad("\(b.count - 4 - offset) unexpected trailing bytes") }
        var file = ModelFile(architecture: arch, dataset: ds, input: i, model: model, quantizer: quantizer)
        file.training = header.training
        file.optimizerMoments = moments
        return file
    }

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
    }
}

private func appendLE(_ bytes: inout [UInt8], _ v: UInt32) {
    for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
}

private func readLE(_ b: [UInt8], _ o: Int) -> UInt32 {
    UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
}
