import ArgumentParser
import FATNNEngine
import FATNNVocabulary
import Foundation

struct BenchInference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Whole-network inference of every quantizer kind, packed, side by side with the float engine.",
        discussion: """
            Builds each network of --quantizer on the real architecture with fresh weights (speed does \
            not depend on their values), packs it, checks the packed network against the training-time \
            network on --check-images random images (every code and every logit bit; a row that is not \
            exact stops the run with an error), then times it on random images, on every kernel path \
            of --paths, one run, side by side. Networks: fp (the float engine), fatnn, tnn (on FATNN's \
            2-popcount kernel), tnn4 (the same tnn network on the conventional 4-popcount kernel), \
            fatnn4 (the fatnn network on the 4-popcount kernel), lsq2 (signed 2-bit kernel), fatnn-a2 \
            (2-bit x ternary kernel), binary (XNOR). After the table, the issue's targets per path and \
            batch: the same network on 2 against 4 popcounts (fatnn over fatnn4 and tnn over tnn4, \
            >= 1.5x), fatnn over lsq2 (>= 1.4x) and over fp (>= 4x). --profile adds where each packed network's \
            time goes (per step kind), its largest conv's kernel alone in MAC/cycle/core, and each distinct conv \
            shape packed (window packing + kernel) against the float engine's forward of the same shape, \
            alternating, with the shapes where packed is slower. With \
            --model-file, one trained model (any kind) instead of fresh networks. With --json, one JSON \
            object per line: network, kernel, model, batch, threads, path, exact, latency_s, images_per_s. \
            The path of the fp row is the float engine's: its C kernels' path (FATNN_FLOAT_PATH), \
            +avx512 where the tap kernel takes AVX-512, or openblas on CPUs without AVX2 and FMA (and with \
            FATNN_FLOAT_PATH=scalar, where convolutions default to OpenBLAS).
            """)

    @Option(help: "Architecture when no model file is given: cnn-s or resnet20.") var model: String = "resnet20"
    @Option(help: "Networks, comma-separated: \(Self.networks.joined(separator: ", ")).")
    var quantizer: String = Self.networks.joined(separator: ",")
    @Option(help: ArgumentHelp("A trained model file to pack and time instead of fresh networks.", valueName: "file"))
    var modelFile: String?
    @Option(help: "Batch sizes, comma-separated.") var batch: String = "1,64"
    @Option(help: "Kernel paths, comma-separated (scalar, avx2, avx512, neon); default: every vector path this CPU has.")
    var paths: String?
    @Option(help: "Engine threads.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Minimum seconds of timed runs per row.") var seconds: Double = 1
    @Option(help: "Random images the bit-exactness check compares before timing.") var checkImages: Int = 8
    @Flag(help: "One JSON object per line instead of a table.") var json = false
    @Flag(help: "Also print where each packed network's time goes, its largest conv's kernel in MAC/cycle/core, and every conv shape packed against float.")
    var profile = false

    /// Every quantizer kind, and fatnn and tnn packed for the 4-popcount kernel (`tnn4`, `fatnn4`).
    static let networks = QuantizerKind.allCases.map(\.rawValue) + ["tnn4", "fatnn4"]
    var batches: [Int] { batch.split(separator: ",").compactMap { Int($0) } }
    var names: [String] { quantizer.split(separator: ",").map(String.init) }

    var kernelPaths: [PackedKernel.Path] {
        guard let paths else {
            let vector = PackedKernel.Path.supported.filter { $0 != .scalar }
            return vector.isEmpty ? [.scalar] : vector
        }
        return paths.split(separator: ",").compactMap { PackedKernel.Path(rawValue: String($0)) }
    }

    func validate() throws {
        guard let arch = ModelArchitecture(rawValue: model), arch.supports(.fatnn) else {
            throw ValidationError("--model must be one with quantizable convolutions (\(ModelArchitecture.allCases.filter { $0.supports(.fatnn) }.map(\.rawValue).joined(separator: ", "))), got '\(model)'")
        }
        for n in names where !Self.networks.contains(n) {
            throw ValidationError("--quantizer '\(n)' is unknown; known: \(Self.networks.joined(separator: ", "))")
        }
        guard !batches.isEmpty, batches.count == batch.split(separator: ",").count, batches.allSatisfy({ (1...1024).contains($0) }) else {
            throw ValidationError("--batch takes batch sizes in 1...1024, comma-separated; got '\(batch)'")
        }
        if let paths {
            for p in paths.split(separator: ",") {
                guard let path = PackedKernel.Path(rawValue: String(p)) else {
                    throw ValidationError("--paths '\(p)' is unknown; known: scalar, avx2, avx512, neon")
                }
                guard path.isSupported else { throw ValidationError("--paths: this CPU cannot run the \(p) path") }
            }
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256") }
        guard seconds > 0 && seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
        guard (1...1024).contains(checkImages) else { throw ValidationError("--check-images must be in 1...1024") }
    }

    /// A network to time: its row name, the float network and, unless it is fp, its packed form.
    struct Candidate {
        let name: String
        let network: Sequential
        let packed: PackedNetwork?
        let exact: Bool?
    }

    func run() throws {
        BLAS.setThreads(threads)
        let (arch, input, candidates) = try buildCandidates()
        if !json {
            print("network    kernel        model     batch  threads  path         exact  latency ms  images/s  vs fp")
        }
        var all: [InferenceBenchmark.Measurement] = []
        for path in kernelPaths {
            for b in batches {
                var rows: [InferenceBenchmark.Measurement] = []
                for c in candidates {
                    c.packed?.path = path
                    let t = InferenceBenchmark.time(batch: b, input: input, minSeconds: seconds) { x in
                        c.packed?.forward(x) ?? c.network.forward(x, training: false)
                    }
                    let kernel = c.packed.map { Set($0.convs.map(\.weights.kind.rawValue)).sorted().joined(separator: "+") } ?? "float"
                    rows.append(.init(network: c.name, kernel: kernel, model: arch.rawValue, batch: b, threads: Parallel.threads,
                                      path: c.packed == nil ? FloatConvolution.pathLabel : path.rawValue, exact: c.exact, latencySeconds: t))
                }
                let fpSpeed = rows.first { $0.network == "fp" }?.imagesPerSecond
                for r in rows {
                    if json { try printJSONLine(r); continue }
                    let exact = r.exact.map { $0 ? "yes" : "NO" } ?? "-"
                    print(pad(r.network, 10) + " " + pad(r.kernel, 13) + " " + pad(r.model, 9) + String(format: " %5d  %7d  ", r.batch, r.threads)
                          + pad(r.path, 11) + "  " + pad(exact, 5) + String(format: "  %10.3f  %8.0f", r.latencySeconds * 1000, r.imagesPerSecond)
                          + (fpSpeed.map { String(format: "  %5.2fx", r.imagesPerSecond / $0) } ?? ""))
                }
                if profile { try printProfile(candidates, batch: b, input: input, path: path) }
                all += rows
            }
        }
        if !json { printTargets(all) }
    }

    func buildCandidates() throws -> (ModelArchitecture, ImageShape, [Candidate]) {
        var rng = RandomSource(seed: 21)
        if let modelFile {
            let file = try ModelFile.read(from: modelFile)
            let (arch, input, net) = (file.architecture, file.input, file.model)
            let images = Matrix(rows: checkImages, cols: input.count) { x in for i in x.indices { x[i] = rng.nextGaussian() } }
            var out = [Candidate(name: "fp", network: arch.build(input: input, classes: file.dataset.classes, seed: 1), packed: nil, exact: nil),
                       Candidate(name: file.quantizer.kind.rawValue + "-float", network: net, packed: nil, exact: nil)]
            if file.quantizer.kind != .fp {
                out.append(try candidate(file.quantizer.kind.rawValue, net, .fatnn, images))
                if [.fatnn, .tnn].contains(file.quantizer.kind) { out.append(try candidate(file.quantizer.kind.rawValue + "4", net, .tnn4, images)) }
            }
            return (arch, input, out)
        }
        guard let arch = ModelArchitecture(rawValue: model) else { throw CommandError("--model: unknown architecture '\(model)'") }
        let input = DatasetName.fashionMNIST.imageShape
        let images = Matrix(rows: checkImages, cols: input.count) { x in for i in x.indices { x[i] = rng.nextGaussian() } }
        return (arch, input, try names.map { name in
            if name == "fp" { return Candidate(name: name, network: arch.build(input: input, classes: 10, seed: 1), packed: nil, exact: nil) }
            let kind: QuantizerKind = name == "tnn4" ? .tnn : name == "fatnn4" ? .fatnn : QuantizerKind(rawValue: name) ?? .fatnn
            let net = arch.build(input: input, classes: 10, seed: 1, quantizer: .init(kind: kind))
            return try candidate(name, net, name.hasSuffix("4") ? .tnn4 : .fatnn, images)
        })
    }

    /// Packs `net` and checks it on `images` on every path this bench times; an inexact row stops the run.
    func candidate(_ name: String, _ net: Sequential, _ ternary: PackedKernel.Kind, _ images: Matrix) throws -> Candidate {
        let packed: PackedNetwork
        do { packed = try PackedNetwork(net, ternaryKernel: ternary) } catch { throw CommandError("\(name): cannot pack: \(error)") }
        for path in kernelPaths {
            packed.path = path
            let v = packed.verify(net, against: images, batch: min(images.rows, 64))
            guard v.exact else { throw CommandError("\(name): the packed network is not bit-exact on \(path): \(v)") }
        }
        return Candidate(name: name, network: net, packed: packed, exact: true)
    }
}
