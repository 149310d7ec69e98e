@testable import FATNNEngine
import FATNNVocabulary
import Foundation
import Testing

/// The method spec's worked examples (`FATNN.md` §2) and finite-difference checks of the
/// quantizers' gradients with respect to their learnable parameters.
@Suite struct QuantizerTests {
    private let one = ImageShape(channels: 1, height: 1, width: 1)

    /// Codes and gradients of a FATNN activation quantizer at a single input value.
    private func activation(_ x: Float, alphas: [Float]) -> (code: Float, dx: Float, dAlpha: [Float]) {
        let q = FATNNActivationQuantizer(name: "a", shape: one, steps: alphas.count, perChannel: false, initial: 1)
        q.alpha.value = alphas
        let y = q.forward(Matrix(rows: 1, cols: 1, data: [x]), training: true)
        let dx = q.backward(Matrix(rows: 1, cols: 1, data: [1]))
        return (y.data[0], dx.data[0], q.alpha.grad)
    }

    @Test(arguments: [
        // x, a, ∂a/∂x, ∂a/∂α0, ∂a/∂α1 — the spec's activation table, α0 = 2, α1 = 1
        (-0.2, 0, 0, 0, 0), (0.10, 0, 2, 0.10, 0), (0.25, 0, 2, 0.25, 0), (0.30, 1, 2, 0.30, 0),
        (0.90, 1, 1, 0.25, 0.40), (1.00, 1, 1, 0.25, 0.50), (1.20, 2, 1, 0.25, 0.70), (1.60, 2, 0, 0, 0),
        (5.0, 2, 0, 0, 0), (0.5, 1, 3, 0.75, 0),
    ] as [(Float, Float, Float, Float, Float)])
    func activationTable(x: Float, a: Float, dx: Float, dA0: Float, dA1: Float) {
        let r = activation(x, alphas: [2, 1])
        #expect(r.code == a)
        #expect(abs(r.dx - dx) < 1e-6)
        #expect(abs(r.dAlpha[0] - dA0) < 1e-6)
        #expect(abs(r.dAlpha[1] - dA1) < 1e-6)
    }

    @Test(arguments: [
        // ŵ, w, ∂w/∂ŵ, ∂w/∂α0, ∂w/∂α1 — the spec's weight table, α0 = 1.0, α1 = 0.8
        (-1.3, -1, 0, 0, 0), (-0.6, -1, 1.0, -0.6, 0), (-0.4, 0, 1.0, -0.4, 0), (0.05, 0, 0.8, 0, 0.05),
        (0.6, 0, 0.8, 0, 0.6), (0.7, 1, 0.8, 0, 0.7), (1.3, 1, 0, 0, 0),
    ] as [(Float, Float, Float, Float, Float)])
    func weightTable(h: Float, w: Float, dh: Float, dA0: Float, dA1: Float) {
        #expect(FATNNWeightQuantizer.code(h, 1.0, 0.8) == w)
        let (gh, g0, g1) = FATNNWeightQuantizer.gradients(h, 1.0, 0.8)
        #expect(abs(gh - dh) < 1e-6 && abs(g0 - dA0) < 1e-6 && abs(g1 - dA1) < 1e-6)
    }

    @Test func thresholdsAreStrictAndLearnedNonUniformly() {
        let q = FATNNActivationQuantizer(name: "a", shape: ImageShape(channels: 1, height: 1, width: 2), steps: 2, perChannel: false, initial: 2)
        #expect(q.thresholds() == [0.25, 0.75])
        q.alpha.value = [2, 1]
        #expect(q.thresholds() == [0.25, 1.0])
        // A value exactly on a threshold rounds down (R is round-half-to-even of 0.5).
        #expect(q.forward(Matrix(rows: 1, cols: 2, data: [0.25, 1.0]), training: false).data == [0, 1])
        q.alpha.value = [-2, -1]  // α = |p|
        #expect(q.forward(Matrix(rows: 1, cols: 2, data: [0.3, 1.2]), training: false).data == [1, 2])
    }

    /// With initialization from data, a FATNN quantizer starts where the LSQ baseline with as many
    /// levels starts on the same batch (same thresholds, hence the same codes), once only.
    @Test(arguments: [(QuantizerKind.fatnn, QuantizerKind.tnn), (.fatnnA2, .lsq2)])
    func initializationFromDataStartsAtTheLSQBaselinesThresholds(kind: QuantizerKind, baseline: QuantizerKind) {
        // Per channel: each channel starts where LSQ would on that channel alone.
        let channels = ImageShape(channels: 2, height: 3, width: 3)
        var r = RandomSource(seed: 12)
        let xc = Matrix(rows: 2, cols: channels.count, data: (0..<(2 * channels.count)).map { i in
            max(0, r.nextGaussian() + 0.5) * ((i / 9) % 2 == 0 ? 1 : 4)
        })
        let pc = QuantizerSettings(kind: kind, activationInitFromData: true, perChannelActivations: true)
            .activationQuantizer(prefix: "c", shape: channels) as! FATNNActivationQuantizer
        _ = pc.forward(xc, training: true)
        for ch in 0..<2 {
            let own = Matrix(rows: 2, cols: 9, data: (0..<2).flatMap { row in xc.data[(row * 2 + ch) * 9..<(row * 2 + ch + 1) * 9] })
            let one = QuantizerSettings(kind: baseline).activationQuantizer(prefix: "c", shape: ImageShape(channels: 1, height: 3, width: 3))
                as! LSQActivationQuantizer
            _ = one.forward(own, training: true)
            let step = one.step.value[0]
            for (k, t) in pc.thresholds(group: ch).enumerated() {
                #expect(abs(t - (Float(k) + 0.5) * step) <= 1e-5 * t, "channel \(ch) threshold \(k): \(t), LSQ step \(step)")
            }
        }

        let shape = ImageShape(channels: 3, height: 5, width: 5)
        var rng = RandomSource(seed: 11)
        let x = Matrix(rows: 4, cols: shape.count, data: (0..<(4 * shape.count)).map { _ in max(0, 1.7 * rng.nextGaussian() + 0.3) })
        let q = QuantizerSettings(kind: kind, activationInitFromData: true).activationQuantizer(prefix: "c", shape: shape) as! FATNNActivationQuantizer
        let lsq = QuantizerSettings(kind: baseline).activationQuantizer(prefix: "c", shape: shape) as! LSQActivationQuantizer
        #expect(q.buffers.map(\.value) == [[0]])
        _ = q.forward(x, training: false)
        #expect(q.thresholds() == [0.25, 0.75, 1.25].prefix(q.steps).map { $0 }, "evaluation does not initialize")
        let codes = q.forward(x, training: true).data
        let s = lsq.forward(x, training: true), step = lsq.step.value[0]
        let expected = (0..<q.steps).map { Float($0) * step + 0.5 * step }
        for (t, e) in zip(q.thresholds(), expected) { #expect(abs(t - e) <= 1e-5 * e, "threshold \(t), LSQ \(e)") }
        #expect(codes == s.data.map { ($0 / step).rounded() }, "the same codes as the baseline's first batch")
        #expect(q.buffers.map(\.value) == [[1]])
        q.alpha.value = q.alpha.value.map { $0 * 2 }
        let moved = q.thresholds()
        _ = q.forward(Matrix(rows: 1, cols: shape.count, data: .init(repeating: 9, count: shape.count)), training: true)
        #expect(q.thresholds() == moved, "initialized once only")
    }

    @Test(arguments: [(2, false), (2, true), (3, false), (3, true)])
    func vectorKernelsMatchTheSpecElementByElement(steps: Int, perChannel: Bool) {
        // 2 channels of 37 values: four 8-wide blocks and a tail of 5 per channel.
        let shape = ImageShape(channels: 2, height: 1, width: 37)
        let q = FATNNActivationQuantizer(name: "a", shape: shape, steps: steps, perChannel: perChannel, initial: 1)
        let raw: [Float] = steps == 2 ? [2, 1, 1.5, -0.8] : [2, 1, 1.6, 1.5, -0.8, 2.5]
        q.alpha.value = Array(raw.prefix(perChannel ? 2 * steps : steps))
        var rng = RandomSource(seed: 11)
        let x = Matrix(rows: 3, cols: shape.count, data: (0..<(3 * shape.count)).map { _ in rng.nextUnitFloat() * 3 - 0.3 })
        let g = Matrix(rows: 3, cols: shape.count, data: (0..<(3 * shape.count)).map { _ in rng.nextGaussian() })
        let y = q.forward(x, training: true), dx = q.backward(g)
        var dAlpha = [Double](repeating: 0, count: q.alpha.value.count)
        for i in x.data.indices {
            let group = perChannel ? (i % shape.count) / 37 : 0
            let a = (0..<steps).map { Double(abs(q.alpha.value[steps * group + $0])) }
            var o = [0.0]
            for k in 1..<steps { o.append(o[k - 1] + 1 / a[k - 1]) }
            let v = Double(x.data[i]), gi = Double(g.data[i])
            let u = (0..<steps).map { (v - o[$0]) * a[$0] }, r = u.map { $0 >= 0 && $0 <= 1 ? 1.0 : 0 }
            #expect(Double(y.data[i]) == u.filter { $0 > 0.5 }.count.double, "code \(i)")
            let slope = (0..<steps).map { a[$0] * r[$0] }.reduce(0, +)
            #expect(abs(Double(dx.data[i]) - gi * slope) < 1e-5 * max(1, abs(gi * slope)), "dx \(i)")
            for k in 0..<steps {
                var s = r[k] * (v - o[k])
                for j in (k + 1)..<steps { s += r[j] * a[j] / (a[k] * a[k]) }
                dAlpha[steps * group + k] += gi * s
            }
        }
        for k in dAlpha.indices {
            let expected = dAlpha[k] * (q.alpha.value[k] < 0 ? -1 : 1)
            #expect(abs(Double(q.alpha.grad[k]) - expected) < 1e-3 * max(1, abs(expected)), "α \(k): \(q.alpha.grad[k]) vs \(expected)")
        }
    }

    @Test func weightsAreStandardizedPerLayerBeforeThresholds() {
        let latent: [Float] = [3, 1, -2, 0.5, 7, -4, 2, 1.5]
        let q = FATNNWeightQuantizer(name: "w", outChannels: 2, fanIn: 4, perChannel: false, initial: 1)
        let codes = q.quantize(latent, training: true)
        var h = latent
        _ = FATNNWeightQuantizer.standardize(&h)
        let mean = h.reduce(0, +) / 8, variance = h.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 7
        #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-5)
        #expect(codes == h.map { FATNNWeightQuantizer.code($0, 1, 1) })
        #expect(Set(codes).isSubset(of: [-1, 0, 1]) && codes.contains(-1) && codes.contains(1))
    }

    /// The straight-through surrogate of a FATNN activation quantizer: the ramps without rounding,
    /// whose derivative the spec's gradients are.
    private func ramps(_ x: Double, _ alphas: [Double]) -> Double {
        var o = 0.0, s = 0.0
        for a in alphas {
            s += min(max((x - o) * a, 0), 1)
            o += 1 / a
        }
        return s
    }

    @Test(arguments: [2, 3])
    func activationStepGradientsMatchFiniteDifferences(steps: Int) {
        var rng = RandomSource(seed: UInt64(steps))
        let alphas: [Float] = steps == 2 ? [2, 1.3] : [2.5, 1.7, 1.2]
        var checked = 0
        for _ in 0..<200 {
            let x = rng.nextUnitFloat() * 2.5 - 0.3
            let r = activation(x, alphas: alphas)
            for k in 0..<steps {
                let eps = 1e-4
                var up = alphas.map(Double.init), down = up
                up[k] += eps
                down[k] -= eps
                let (fu, fd) = (ramps(Double(x), up), ramps(Double(x), down))
                // Skip points where a ramp's corner lies inside the difference interval.
                let centred = (fu - fd) / (2 * eps)
                let oneSided = (fu - ramps(Double(x), alphas.map(Double.init))) / eps
                guard abs(centred - oneSided) < 1e-3 else { continue }
                #expect(abs(Double(r.dAlpha[k]) - centred) < 2e-3, "x \(x) step \(k): \(r.dAlpha[k]) vs \(centred)")
                checked += 1
            }
            let eps = 1e-4, a = alphas.map(Double.init)
            let dx = (ramps(Double(x) + eps, a) - ramps(Double(x) - eps, a)) / (2 * eps)
            let oneSided = (ramps(Double(x) + eps, a) - ramps(Double(x), a)) / eps
            if abs(dx - oneSided) < 1e-3 { #expect(abs(Double(r.dx) - dx) < 2e-3, "x \(x): dx \(r.dx) vs \(dx)") }
        }
        #expect(checked > 200 * steps / 2)
    }

    @Test func weightGradientsMatchFiniteDifferencesOfTheSurrogate() {
        // Surrogate: C[−1,0](ŵ·α0) + C[0,1](ŵ·α1), with ŵ = (W − mean)/std and the statistics held.
        var rng = RandomSource(seed: 5)
        let latent = (0..<64).map { _ in rng.nextGaussian() }
        let q = FATNNWeightQuantizer(name: "w", outChannels: 4, fanIn: 16, perChannel: true, initial: 0.7)
        q.alpha.value = (0..<8).map { 0.5 + Float($0) * 0.1 }
        _ = q.quantize(latent, training: true)
        let upstream = (0..<64).map { _ in rng.nextGaussian() }
        let dw = q.backward(upstream)
        var h = latent
        let inv = Double(FATNNWeightQuantizer.standardize(&h))
        func surrogate(_ i: Int, _ hi: Double, _ a0: Double, _ a1: Double) -> Double {
            min(max(hi * a0, -1), 0) + min(max(hi * a1, 0), 1)
        }
        var dA = [Double](repeating: 0, count: 8)
        let eps = 1e-4
        for i in 0..<64 {
            let g = (i / 16) * 2, a0 = Double(q.alpha.value[g]), a1 = Double(q.alpha.value[g + 1]), hi = Double(h[i])
            dA[g] += Double(upstream[i]) * (surrogate(i, hi, a0 + eps, a1) - surrogate(i, hi, a0 - eps, a1)) / (2 * eps)
            dA[g + 1] += Double(upstream[i]) * (surrogate(i, hi, a0, a1 + eps) - surrogate(i, hi, a0, a1 - eps)) / (2 * eps)
            let dh = (surrogate(i, hi + eps, a0, a1) - surrogate(i, hi - eps, a0, a1)) / (2 * eps)
            #expect(abs(Double(dw[i]) - Double(upstream[i]) * dh * inv) < 1e-3, "weight \(i)")
        }
        for k in 0..<8 { #expect(abs(Double(q.alpha.grad[k]) - dA[k]) < 1e-3, "α \(k): \(q.alpha.grad[k]) vs \(dA[k])") }
    }

    @Test func lsqStepGradientMatchesFiniteDifferencesOfItsSurrogate() {
        // LSQ's surrogate at step s0: s·(R(v0) + clamp(x/s) − clamp(x/s0)), v0 = clamp(x/s0): the
        // rounding held, its straight-through part differentiated.
        let q = LSQActivationQuantizer(name: "s", shape: ImageShape(channels: 1, height: 1, width: 50), levels: 3)
        var rng = RandomSource(seed: 8)
        let x = Matrix(rows: 1, cols: 50, data: (0..<50).map { _ in rng.nextUnitFloat() * 3 - 0.5 })
        _ = q.forward(x, training: true)  // initializes the step from the batch
        let s0 = Double(q.step.value[0])
        let y = q.forward(x, training: true)
        let upstream = (0..<50).map { _ in rng.nextGaussian() }
        let dx = q.backward(Matrix(rows: 1, cols: 50, data: upstream))
        func surrogate(_ xi: Double, _ s: Double) -> Double {
            let v0 = min(max(xi / s0, 0), 2)
            return s * (v0.rounded(.toNearestOrEven) + min(max(xi / s, 0), 2) - v0)
        }
        var ds = 0.0
        let eps = 1e-5
        for i in 0..<50 {
            let xi = Double(x.data[i])
            #expect(abs(Double(y.data[i]) - surrogate(xi, s0)) < 1e-5)
            ds += Double(upstream[i]) * (surrogate(xi, s0 + eps) - surrogate(xi, s0 - eps)) / (2 * eps)
            let inside = xi / s0 >= 0 && xi / s0 <= 2
            #expect(dx.data[i] == (inside ? upstream[i] : 0))
        }
        let scale = 1 / (50.0 * 2).squareRoot()
        #expect(abs(Double(q.step.grad[0]) - ds * scale) < 1e-3, "\(q.step.grad[0]) vs \(ds * scale)")
    }

    @Test(arguments: [QuantizerKind.fatnn, .tnn, .lsq2, .fatnnA2, .binary])
    func quantizedValuesAreScaledCodesInTheAllowedSet(kind: QuantizerKind) {
        let shape = ImageShape(channels: 3, height: 4, width: 4)
        let settings = QuantizerSettings(kind: kind)
        let act = settings.activationQuantizer(prefix: "c", shape: shape)
        var rng = RandomSource(seed: 3)
        // Post-ReLU data, except for binary activations, which see BatchNorm outputs.
        let x = Matrix(rows: 5, cols: shape.count, data: (0..<(5 * shape.count)).map { _ in
            kind == .binary ? rng.nextGaussian() : max(0, rng.nextGaussian())
        })
        let y = act.forward(x, training: true)
        let scale = (act as? LSQActivationQuantizer).map { $0.step.value[0] } ?? 1
        var seen = Set<Int>()
        for v in y.data {
            let c = v / scale
            #expect(c == c.rounded() && act.codes.contains(Int(c)), "\(v)")
            seen.insert(Int(c))
        }
        #expect(seen.count == act.codes.count, "every code occurs: \(seen.sorted())")
        let wq = settings.weightQuantizer(prefix: "c", outChannels: 4, fanIn: 27)
        let latent = (0..<108).map { _ in rng.nextGaussian() }
        let w = wq.quantize(latent, training: true)
        if kind == .binary {
            for o in 0..<4 {
                let channel = Array(latent[(o * 27)..<((o + 1) * 27)]), q = Array(w[(o * 27)..<((o + 1) * 27)])
                let scale = channel.map(abs).reduce(0, +) / 27
                #expect(q == channel.map { $0 >= 0 ? scale : -scale }, "channel \(o): ±mean|W|")
            }
            return
        }
        let wscale = w.map(abs).filter { $0 > 0 }.min()!
        let allowed: Set<Float> = kind == .lsq2 ? [-2, -1, 0, 1] : [-1, 0, 1]
        #expect(Set(w.map { $0 / wscale }).isSubset(of: allowed))
        if kind == .fatnn || kind == .fatnnA2 { #expect(wscale == 1, "FATNN convs compute on the integer codes") }
    }
}

private extension Int {
    var double: Double { Double(self) }
}
