import FATNNEngine
import Foundation

extension BenchInference {
    /// Where each packed network's time goes at `batch` on `path`, and its largest conv's kernel alone.
    func printProfile(_ candidates: [Candidate], batch: Int, input: ImageShape, path: PackedKernel.Path) throws {
        let clock = KernelBenchmark.measureClockHz()
        for c in candidates {
            guard let packed = c.packed else { continue }
            packed.path = path
            packed.profile = [:]
            var rng = RandomSource(seed: 4)
            let x = Matrix(rows: batch, cols: input.count) { v in for i in v.indices { v[i] = rng.nextGaussian() } }
            let runs = 5
            for _ in 0..<runs { _ = packed.forward(x) }
            let parts = (packed.profile ?? [:]).sorted { $0.value > $1.value }
            packed.profile = nil
            let total = parts.reduce(0) { $0 + $1.value }
            print("  \(c.name), batch \(batch), \(path.rawValue): \(String(format: "%.2f", total * 1000 / Double(runs))) ms/batch in steps")
            for (name, t) in parts {
                print(pad("    " + name, 40) + String(format: " %8.3f ms/batch  %5.1f%%", t * 1000 / Double(runs), t / total * 100))
            }
            if let (conv, macs) = packed.largestConv {
                let t = PackedNetwork.kernelSeconds(conv, images: batch, path: path, minSeconds: 0.3)
                let rate = Double(macs * batch) / t
                print("    largest conv \(conv.input.channels)->\(conv.output.channels) \(conv.kernel)x\(conv.kernel) s\(conv.stride) "
                      + "(\(conv.weights.kind.rawValue)): kernel alone "
                      + String(format: "%.3f ms, %.1f GMAC/s, %.1f MAC/cycle/core at %.2f GHz", t * 1000, rate / 1e9,
                                rate / clock / Double(Parallel.threads), clock / 1e9))
            }
            printConvComparison(packed.compareConvs(images: batch, path: path), clock: clock,
                                label: "\(c.name), batch \(batch), \(path.rawValue)")
        }
    }

    /// Each distinct conv shape, packed (window packing + kernel) against the float engine's
    /// forward of the same shape; a line at the end names the shapes where packed is slower.
    func printConvComparison(_ rows: [PackedNetwork.ConvComparison], clock: Double, label: String) {
        print("    per conv shape, packed (windows + kernel, no epilogue) against the float engine's Conv2d forward"
              + " (\(FloatConvolution.kernelName)), alternating, best of 3 medians:")
        print("      shape                               layers    packed ms  GMAC/s  MAC/cyc/core    float ms  GMAC/s  packed/float")
        for r in rows {
            let packedRate = Double(r.macs) / r.packedSeconds, floatRate = Double(r.macs) / r.floatSeconds
            print("      " + pad(r.shape, 36) + String(format: "%6d  %11.3f  %6.1f  %12.1f  %10.3f  %6.1f  %11.2fx", r.layers,
                                                         r.packedSeconds * 1000, packedRate / 1e9,
                                                         clock > 0 ? packedRate / clock / Double(Parallel.threads) : 0,
                                                         r.floatSeconds * 1000, floatRate / 1e9, r.speedup))
        }
        let slower = rows.filter { $0.speedup < 1 }.map(\.shape)
        print("      packed slower than float (\(label)): " + (slower.isEmpty ? "none" : slower.joined(separator: "; ")))
    }

    /// The issue's whole-network targets, per path and batch, from the measured rows.
    func printTargets(_ rows: [InferenceBenchmark.Measurement]) {
        // The same network on the 2- and the 4-popcount kernel (fatnn / fatnn4, tnn / tnn4), FATNN
        // against the 2-bit network and against the float engine.
        let checks: [(String, String, Double)] = [("fatnn", "fatnn4", 1.5), ("tnn", "tnn4", 1.5), ("fatnn", "lsq2", 1.4), ("fatnn", "fp", 4)]
        var lines: [String] = []
        for path in kernelPaths {
            for b in batches {
                func speed(_ n: String) -> Double? {
                    rows.first { $0.network == n && $0.batch == b && ($0.path == path.rawValue || n == "fp") }?.imagesPerSecond
                }
                for (a, base, target) in checks {
                    guard let x = speed(a), let y = speed(base) else { continue }
                    let r = x / y
                    lines.append(pad("  \(a) / \(base)", 18) + pad(path.rawValue, 8) + String(format: " batch %3d  %5.2fx  (target >= %.1fx: %@)",
                                                                                       b, r, target, r >= target ? "met" : "missed"))
                }
            }
        }
        if !lines.isEmpty { print("targets:"); lines.forEach { print($0) } }
    }
}
