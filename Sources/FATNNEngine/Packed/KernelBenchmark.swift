import CTernaryKernels
import Dispatch

/// Side-by-side timing of the packed kernels and OpenBLAS SGEMM on GEMM shapes (`fatnn bench
/// kernels`).
public enum KernelBenchmark {
    /// A GEMM shape: `m` output channels, `k` reduction lanes, `n` output pixels.
    public struct Shape: Sendable, Equatable {
        public let name: String
        public let m: Int, k: Int, n: Int
        public init(name: String, m: Int, k: Int, n: Int) {
            self.name = name; self.m = m; self.k = k; self.n = n
        }
        /// `MxKxN`.
        public var text: String { "\(m)x\(k)x\(n)" }
        public var macs: Double { Double(m) * Double(k) * Double(n) }
    }

    /// One measurement; encodes as the `--json` line.
    public struct Measurement: Sendable, Codable {
        public let kernel: String
        public let path: String
        public let shape: String
        public let layer: String
        public let threads: Int
        public let seconds: Double
        public let gmacs: Double
        public let macPerCyclePerCore: Double
        public let clockGHz: Double

        enum CodingKeys: String, CodingKey {
            case kernel, path, shape, layer, threads, seconds, gmacs
            case macPerCyclePerCore = "mac_per_cycle_per_core"
            case clockGHz = "clock_ghz"
        }
    }

    /// The large shape of the issue: 1024 x 4608 x 1024 (a 3x3 conv with 512 input channels).
    public static let large = Shape(name: "large", m: 1024, k: 4608, n: 1024)

    /// The distinct quantized-conv shapes of `resnet20` on `height x width` images, `batch`
    /// images per call (the pixels of the batch are the GEMM's columns).
    public static func resnet20Shapes(height: Int, width: Int, batch: Int) -> [Shape] {
        func out(_ s: Int, _ stride: Int, _ kernel: Int, _ pad: Int) -> Int { (s + 2 * pad - kernel) / stride + 1 }
        let h2 = out(height, 2, 3, 1), w2 = out(width, 2, 3, 1)
        let h3 = out(h2, 2, 3, 1), w3 = out(w2, 2, 3, 1)
        let p1 = height * width * batch, p2 = h2 * w2 * batch, p3 = h3 * w3 * batch
        return [
            Shape(name: "stage1 3x3 16-16", m: 16, k: 144, n: p1),
            Shape(name: "stage2 3x3 16-32 s2", m: 32, k: 144, n: p2),
            Shape(name: "stage2 1x1 16-32 s2", m: 32, k: 16, n: p2),
            Shape(name: "stage2 3x3 32-32", m: 32, k: 288, n: p2),
            Shape(name: "stage3 3x3 32-64 s2", m: 64, k: 288, n: p3),
            Shape(name: "stage3 1x1 32-64 s2", m: 64, k: 32, n: p3),
            Shape(name: "stage3 3x3 64-64", m: 64, k: 576, n: p3),
        ]
    }

    /// The core clock, from a chain of dependent adds on one core (about `seconds` long).
    public static func measureClockHz(seconds: Double = 0.3) -> Double { tk_measure_clock_hz(seconds) }

    /// Median seconds of one packed GEMM of `shape` with `kind` on `path`, over at least
    /// `repetitions` runs and `minSeconds` of running, on random valid operands.
    public static func timePacked(_ kind: PackedKernel.Kind, path: PackedKernel.Path, shape: Shape,
                                  repetitions: Int = 5, minSeconds: Double = 0.3) -> Double {
        var rng = RandomSource(seed: 7)
        let w = PackedWeights(random: kind, rows: shape.m, bits: shape.k, rng: &rng)
        let x = PackedActivations(random: kind, columns: shape.n, bits: shape.k, rng: &rng)
        var out = [Int32](repeating: 0, count: shape.m * shape.n)
        return out.withUnsafeMutableBufferPointer { o in
            median(repetitions: repetitions, minSeconds: minSeconds) {
                PackedKernel.multiplyRaw(w, x, path: path, into: o.baseAddress!, ldc: shape.n)
            }
        }
    }

    /// Median seconds of `C = A·B` in float32 for `shape` (`A` m x k, `B` k x n) with the
    /// engine's ``BLAS/gemm(_:transA:_:transB:into:alpha:beta:)`` (row blocks over the engine's
    /// threads, single-threaded OpenBLAS in each).
    public static func timeSGEMM(shape: Shape, repetitions: Int = 5, minSeconds: Double = 0.3) -> Double {
        var rng = RandomSource(seed: 7)
        let a = Matrix(rows: shape.m, cols: shape.k) { b in for i in b.indices { b[i] = rng.nextUnitFloat() - 0.5 } }
        let b = Matrix(rows: shape.k, cols: shape.n) { b in for i in b.indices { b[i] = rng.nextUnitFloat() - 0.5 } }
        var c = Matrix(rows: shape.m, cols: shape.n)
        return median(repetitions: repetitions, minSeconds: minSeconds) { BLAS.gemm(a, b, into: &c) }
    }

    /// A measurement row from a time.
    public static func measurement(kernel: String, path: String, shape: Shape, seconds: Double,
                                   clockHz: Double) -> Measurement {
        let threads = Parallel.threads
        let macsPerSecond = shape.macs / seconds
        return Measurement(kernel: kernel, path: path, shape: shape.text, layer: shape.name, threads: threads,
                           seconds: seconds, gmacs: macsPerSecond / 1e9,
                           macPerCyclePerCore: clockHz > 0 ? macsPerSecond / clockHz / Double(threads) : 0,
                           clockGHz: clockHz / 1e9)
    }

    static func median(repetitions: Int, minSeconds: Double, _ body: () -> Void) -> Double {
        body()  // warm-up: page in the operands
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while times.count < repetitions
                || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < minSeconds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            if times.count >= 10_000 { break }
        }
        times.sort()
        return times[times.count / 2]
    }
}

extension PackedWeights {
    /// Random valid codes of `kind` (benchmarks and tests).
    public init(random kind: PackedKernel.Kind, rows: Int, bits: Int, rng: inout RandomSource) {
        var codes = [Int8](repeating: 0, count: rows * bits)
        for i in codes.indices { codes[i] = PackedKernel.randomWeightCode(kind, &rng) }
        self.init(kind: kind, rows: rows, bits: bits, codes: codes)
    }
}

extension PackedActivations {
    /// Random valid codes of `kind` (benchmarks and tests).
    public init(random kind: PackedKernel.Kind, columns: Int, bits: Int, rng: inout RandomSource) {
        self.init(kind: kind, columns: columns, bits: bits)
        for n in 0..<columns {
            for k in 0..<bits { set(k, n, PackedKernel.randomActivationCode(kind, &rng)) }
        }
    }
}

extension PackedKernel {
    /// A uniformly drawn weight code of `kind`.
    public static func randomWeightCode(_ kind: Kind, _ rng: inout RandomSource) -> Int8 {
        let r = Int8(truncatingIfNeeded: rng.next() % 4)
        switch kind {
        case .fatnn, .tnn4, .fatnnA2: return r == 3 ? 0 : r - 1
        case .twoBit: return r
        case .twoBitSigned: return r - 2
        case .binary: return r & 1 == 0 ? -1 : 1
        }
    }

    /// A uniformly drawn activation code of `kind`.
    public static func randomActivationCode(_ kind: Kind, _ rng: inout RandomSource) -> Int8 {
        let r = Int8(truncatingIfNeeded: rng.next() % 4)
        switch kind {
        case .fatnn, .tnn4: return r == 3 ? 1 : r
        case .twoBit, .twoBitSigned, .fatnnA2: return r
        case .binary: return r & 1 == 0 ? -1 : 1
        }
    }
}
