import ArgumentParser
import FATNNEngine
import Foundation

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Packed inner-product kernels against OpenBLAS SGEMM, side by side, in MAC/s.",
        discussion: """
            Times each kernel as a GEMM (M output channels x K reduction lanes x N output pixels) \
            on random operands: the distinct quantized-conv shapes of resnet20 on Fashion-MNIST \
            images for a batch, and the large 1024x4608x1024 shape. Kernels: fatnn (2 popcounts), \
            tnn4 (conventional ternary, 4 popcounts), 2bit (bit-serial), binary (XNOR), sgemm \
            (float32, the engine's OpenBLAS path). Each time is the median of at least 5 runs. \
            MAC/cycle/core divides by the clock, which is measured first by timing a chain of \
            dependent adds on one core, and by the thread count. With --json, one JSON object per \
            line: kernel, path, shape, layer, threads, seconds, gmacs, mac_per_cycle_per_core, clock_ghz.
            """)

    @Option(help: "Kernels, comma-separated: \((PackedKernel.Kind.allCases.map(\.rawValue) + ["sgemm"]).joined(separator: ", ")).")
    var kernel: String = "fatnn,tnn4,2bit,binary,sgemm"

    @Option(help: "CPU path of the packed kernels: best, all, or \(PackedKernel.Path.allCases.map(\.rawValue).joined(separator: ", ")). This CPU supports: \(PackedKernel.Path.supported.map(\.rawValue).joined(separator: ", ")).")
    var path: String = "best"

    @Option(help: "Shape sets, comma-separated: resnet20 (its conv shapes), large (1024x4608x1024).")
    var shapes: String = "resnet20,large"

    @Option(help: "Images per resnet20 GEMM (their pixels are the N axis).") var batch: Int = 64
    @Option(help: "Engine threads (column blocks or rows split over them).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Minimum seconds of timed runs per row.") var seconds: Double = 0.3
    @Flag(help: "One JSON object per line instead of a table.") var json = false

    var kinds: [String] { kernel.split(separator: ",").map(String.init) }

    func validate() throws {
        for k in kinds where k != "sgemm" && PackedKernel.Kind(rawValue: k) == nil {
            throw ValidationError("--kernel '\(k)' is unknown; known: \((PackedKernel.Kind.allCases.map(\.rawValue) + ["sgemm"]).joined(separator: ", "))")
        }
        if path != "best" && path != "all" {
            guard let p = PackedKernel.Path(rawValue: path) else {
                throw ValidationError("--path '\(path)' is unknown; known: best, all, \(PackedKernel.Path.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard p.isSupported else { throw ValidationError("--path \(path) is not supported on this CPU (supported: \(PackedKernel.Path.supported.map(\.rawValue).joined(separator: ", ")))") }
        }
        for s in shapes.split(separator: ",") where s != "resnet20" && s != "large" {
            throw ValidationError("--shapes '\(s)' is unknown; known: resnet20, large")
        }
        guard (1...1024).contains(batch) else { throw ValidationError("--batch must be in 1...1024") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1...256") }
        guard seconds > 0 && seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let paths: [PackedKernel.Path] = switch path {
        case "best": [.best]
        case "all": PackedKernel.Path.supported
        default: [PackedKernel.Path(rawValue: path)!]
        }
        var list: [KernelBenchmark.Shape] = []
        for s in shapes.split(separator: ",") {
            list += s == "large" ? [KernelBenchmark.large] : KernelBenchmark.resnet20Shapes(height: 28, width: 28, batch: batch)
        }
        let clock = KernelBenchmark.measureClockHz()
        if !json {
            print(String(format: "clock %.2f GHz (dependent-add chain), %d threads, batch %d for resnet20 shapes", clock / 1e9, threads, batch))
            print("layer                 shape              kernel  path      GMAC/s  MAC/cycle/core  vs sgemm      ms")
        }
        for shape in list {
            var rows: [KernelBenchmark.Measurement] = []
            for k in kinds {
                if k == "sgemm" {
                    let t = KernelBenchmark.timeSGEMM(shape: shape, minSeconds: seconds)
                    rows.append(KernelBenchmark.measurement(kernel: "sgemm", path: "openblas", shape: shape, seconds: t, clockHz: clock))
                } else {
                    for p in paths {
                        let t = KernelBenchmark.timePacked(PackedKernel.Kind(rawValue: k)!, path: p, shape: shape, minSeconds: seconds)
                        rows.append(KernelBenchmark.measurement(kernel: k, path: p.rawValue, shape: shape, seconds: t, clockHz: clock))
                    }
                }
            }
            let sgemm = rows.first { $0.kernel == "sgemm" }?.gmacs
            for r in rows {
                if json {
                    try printJSONLine(r)
                } else {
                    let ratio = sgemm.map { String(format: "%7.2fx", r.gmacs / $0) } ?? "       -"
                    print(pad(r.layer, 21) + " " + pad(r.shape, 18) + " " + pad(r.kernel, 7) + " " + pad(r.path, 8)
                          + String(format: " %7.1f  %14.1f  ", r.gmacs, r.macPerCyclePerCore) + ratio
                          + String(format: "  %6.3f", r.seconds * 1000))
                }
            }
        }
    }
}

/// `text` left-aligned in `width` columns.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// `value` as one line of JSON with sorted keys (the `--json` output of the bench commands).
func printJSONLine(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
