/// ``Conv2d``'s main path: one SGEMM per kernel tap over a shifted view of the padded image, with
/// no column matrix.
///
/// On the wide-row layout (``WideRows``), the input that tap `(ky, kx)` sees for every output
/// position of one channel is one contiguous run of the padded copy (of one of its phases, for
/// strides above 1); over all channels that is a `Cin x OH·Wp` matrix whose rows are one plane
/// apart. So `Y = Σ_taps W_tap · X_tap` is `k·k` SGEMMs (`Cout x Cin` by `Cin x OH·Wp`) reading
/// the copy in place, `dW_tap = dY · X_tapᵀ`, and `dX_tap += W_tapᵀ · dY` lands on the same view
/// of a padded gradient buffer. Next to im2col + one SGEMM this moves far less memory: measured
/// 1.15-1.4x faster forward and 1.2-2.1x faster backward on resnet20's and cnn-s's 3x3 shapes
/// (docs/BENCHMARKS.md).
extension Conv2d {
    /// The weights as `k·k` matrices `Cout x Cin`, one per tap (`W` is `Cout x (Cin·k·k)`); for a
    /// 1x1 kernel that is `W` itself (no copy).
    func tapWeights() -> [Float] {
        let taps = kernel * kernel, cin = input.channels, cout = output.channels
        if taps == 1 { return weight.value }
        var t = [Float](repeating: 0, count: taps * cout * cin)
        weight.value.withUnsafeBufferPointer { W in
            for co in 0..<cout {
                for ci in 0..<cin {
                    for tap in 0..<taps { t[(tap * cout + co) * cin + ci] = W[(co * cin + ci) * taps + tap] }
                }
            }
        }
        return t
    }

    /// Adds a weight gradient in the tap layout of ``tapWeights()`` onto `weight.grad`.
    func addTapGradient(_ d: UnsafePointer<Float>) {
        let taps = kernel * kernel, cin = input.channels, cout = output.channels
        weight.grad.withUnsafeMutableBufferPointer { g in
            for co in 0..<cout {
                for ci in 0..<cin {
                    for tap in 0..<taps { g[(co * cin + ci) * taps + tap] += d[(tap * cout + co) * cin + ci] }
                }
            }
        }
    }

    /// Forward for one chunk of images; `T` is ``tapWeights()``.
    func tapForward(_ wide: WideRows, _ images: Range<Int>, _ X: UnsafePointer<Float>, _ T: UnsafePointer<Float>,
                    _ Y: UnsafeMutablePointer<Float>, _ epilogue: Epilogue?) {
        let cin = input.channels, cout = output.channels, n = wide.wideCount
        let padded = wide.allocatePadded(fill: padValue), yw = UnsafeMutablePointer<Float>.allocate(capacity: cout * n)
        defer { padded.deallocate(); yw.deallocate() }
        for b in images {
            wide.pad(X + b * input.count, into: padded)
            for tap in 0..<(kernel * kernel) {
                BLAS.sgemm(m: cout, n: n, k: cin, a: T + tap * cout * cin, lda: cin,
                           b: padded + wide.offset(tap), ldb: wide.plane, beta: tap == 0 ? 0 : 1, c: yw, ldc: n)
            }
            wide.narrow(yw, into: Y + b * output.count, channels: cout, epilogue: epilogue)
        }
    }

    /// Backward for one chunk of images: adds this chunk's `dW` (tap layout) onto `dw` and writes
    /// the images' input gradients when ``needsInputGradient``; `T` is ``tapWeights()``.
    func tapBackward(_ wide: WideRows, _ images: Range<Int>, _ X: UnsafePointer<Float>, _ T: UnsafePointer<Float>,
                     _ G: UnsafePointer<Float>, _ DX: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>) {
        let cin = input.channels, cout = output.channels, n = wide.wideCount, taps = kernel * kernel
        let padded = wide.allocatePadded(fill: padValue), gradPadded = wide.allocatePadded()
        let dyw = UnsafeMutablePointer<Float>.allocate(capacity: cout * n)
        dyw.initialize(repeating: 0, count: cout * n)  // garbage columns stay zero: they add nothing
        defer { padded.deallocate(); gradPadded.deallocate(); dyw.deallocate() }
        for b in images {
            wide.pad(X + b * input.count, into: padded)
            wide.widen(G + b * output.count, into: dyw, channels: cout)
            for tap in 0..<taps {
                BLAS.sgemm(transB: true, m: cout, n: cin, k: n, a: dyw, lda: n, b: padded + wide.offset(tap), ldb: wide.plane,
                           beta: 1, c: dw + tap * cout * cin, ldc: cin)
            }
            guard needsInputGradient else { continue }
            gradPadded.update(repeating: 0, count: wide.paddedCount)
            for tap in 0..<taps {
                BLAS.sgemm(transA: true, m: cin, n: n, k: cout, a: T + tap * cout * cin, lda: cin, b: dyw, ldb: n,
                           beta: 1, c: gradPadded + wide.offset(tap), ldc: wide.plane)
            }
            wide.unpad(gradPadded, into: DX + b * input.count)
        }
    }
}
