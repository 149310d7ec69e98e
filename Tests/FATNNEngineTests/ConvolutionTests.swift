@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

/// Direct convolution, the definition: the oracle Conv2d is checked against.
func naiveConv(_ x: Matrix, _ conv: Conv2d) -> Matrix {
    let i = conv.input, o = conv.output, k = conv.kernel
    var y = Matrix(rows: x.rows, cols: o.count)
    for n in 0..<x.rows {
        for co in 0..<o.channels {
            for oy in 0..<o.height {
                for ox in 0..<o.width {
                    var s: Double = 0
                    for ci in 0..<i.channels {
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy * conv.stride - conv.padding + ky, ix = ox * conv.stride - conv.padding + kx
                                guard iy >= 0, iy < i.height, ix >= 0, ix < i.width else { continue }
                                s += Double(x[n, (ci * i.height + iy) * i.width + ix])
                                    * Double(conv.weight.value[((co * i.channels + ci) * k + ky) * k + kx])
                            }
                        }
                    }
                    y[n, (co * o.height + oy) * o.width + ox] = Float(s)
                }
            }
        }
    }
    return y
}

@Suite struct ConvolutionTests {
    private func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var rng = RandomSource(seed: seed)
        return Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in rng.nextGaussian() })
    }

    @Test(arguments: [
        (3, 1, 1, 7, 6), (3, 2, 1, 7, 7), (1, 1, 0, 5, 4), (1, 2, 0, 6, 6), (5, 1, 2, 6, 5), (3, 2, 0, 9, 8), (2, 2, 1, 5, 5),
        (3, 2, 1, 1, 1), (5, 2, 2, 2, 2), (3, 3, 1, 4, 2),  // kernels wider than the padded image
    ])
    func matchesDirectConvolution(kernel: Int, stride: Int, padding: Int, height: Int, width: Int) {
        var rng = RandomSource(seed: UInt64(kernel * 100 + stride * 10 + padding))
        let conv = Conv2d(name: "c", input: ImageShape(channels: 3, height: height, width: width), outChannels: 4,
                          kernel: kernel, stride: stride, padding: padding, rng: &rng)
        let x = random(2, conv.input.count, seed: 9)
        let fast = conv.forward(x, training: false), slow = naiveConv(x, conv)
        #expect(fast.rows == slow.rows && fast.cols == slow.cols)
        for i in fast.data.indices { #expect(abs(fast.data[i] - slow.data[i]) < 1e-4, "\(i)") }
    }

    @Test(arguments: [(3, 1, 1), (3, 1, 0), (5, 1, 2), (2, 1, 1), (1, 1, 0), (3, 2, 1), (1, 2, 0)])
    func convGradients(kernel: Int, stride: Int, padding: Int) {
        var rng = RandomSource(seed: 21)
        let conv = Conv2d(name: "c", input: ImageShape(channels: 2, height: 5, width: 4), outChannels: 3,
                          kernel: kernel, stride: stride, padding: padding, rng: &rng)
        GradientTests().check(conv, input: random(2, conv.input.count, seed: 22), seed: 23)
    }

    @Test func spatialBatchNormGradients() {
        let bn = BatchNorm(name: "bn", features: 2, spatial: 6)
        bn.gamma.value = [1.5, 0.7]
        bn.beta.value = [0.1, -0.3]
        GradientTests().check(bn, input: random(3, 12, seed: 31), seed: 32)
    }

    @Test func poolingGradients() {
        var x = random(2, 2 * 4 * 4, seed: 41)
        for i in x.data.indices { x.data[i] += Float(i % 7) * 0.3 }  // distinct maxima, away from ties
        GradientTests().check(MaxPool2d(input: ImageShape(channels: 2, height: 4, width: 4)), input: x, seed: 42)
        GradientTests().check(GlobalAvgPool(input: ImageShape(channels: 2, height: 4, width: 4)), input: x, seed: 43)
    }

    @Test func maxPoolPicksWindowMaxima() {
        let pool = MaxPool2d(input: ImageShape(channels: 1, height: 2, width: 4))
        let y = pool.forward(Matrix(rows: 1, cols: 8, data: [1, 5, 2, 0, 3, 4, 9, 8]), training: false)
        #expect(y.data == [5, 9])
    }

    @Test(arguments: [(4, 1), (4, 2)])
    func basicBlockGradients(outChannels: Int, stride: Int) {
        var rng = RandomSource(seed: 51)
        let block = BasicBlock(name: "b", input: ImageShape(channels: 2, height: 4, width: 4), outChannels: outChannels,
                               stride: stride, rng: &rng)
        var x = random(3, 32, seed: 52)
        for i in x.data.indices { x.data[i] *= 2 }
        GradientTests().check(block, input: x, seed: 53, eps: 1e-3, outliers: 0.1)
    }

    @Test func architecturesHaveTheSpecifiedShapes() {
        let mnist = ImageShape(channels: 1, height: 28, width: 28), cifar = ImageShape(channels: 3, height: 32, width: 32)
        let r20 = ModelArchitecture.resnet20.build(input: cifar, classes: 10, seed: 0)
        // torchvision-style CIFAR ResNet-20 with 1x1-conv shortcuts: 272,474 parameters.
        #expect(r20.parameters.reduce(0) { $0 + $1.value.count } == 272_474)
        #expect(r20.layers.filter { $0 is BasicBlock }.count == 9)
        let cnn = ModelArchitecture.cnnS.build(input: mnist, classes: 10, seed: 0)
        let convs = cnn.layers.compactMap { $0 as? Conv2d }
        #expect(convs.map(\.output.channels) == [32, 32, 64, 64, 128])
        #expect(convs.last!.output == ImageShape(channels: 128, height: 7, width: 7))
        for (arch, shape) in [(ModelArchitecture.cnnS, mnist), (.resnet20, mnist), (.resnet20, cifar)] {
            let y = arch.build(input: shape, classes: 10, seed: 1).forward(random(2, shape.count, seed: 2), training: true)
            #expect(y.rows == 2 && y.cols == 10)
        }
    }

    @Test func cnnLearnsSyntheticBands() throws {
        let data = try Dataset.load(.fashionMNIST, directory: IDXFixtures.dataset(train: 256, test: 100, gzip: false))
        let split = DataSplit.holdout(count: 256, validationFraction: 0, seed: 0)
        let model = ModelArchitecture.cnnS.build(input: data.train.shape, classes: 10, seed: 2)
        let r = Trainer(model: model, dataset: data, split: split,
                        settings: TrainingSettings(epochs: 3, batchSize: 32, learningRate: 0.05, seed: 2)).run()
        #expect(r.epochs.last!.trainLoss < r.epochs.first!.trainLoss)
        #expect(r.testAccuracy > 0.8, "\(r.testAccuracy)")
    }
}
