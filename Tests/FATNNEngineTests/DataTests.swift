@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

@Suite struct IDXReaderTests {
    @Test(arguments: [false, true])
    func readsImagesAndLabels(gzip: Bool) throws {
        let dir = IDXFixtures.dataset(train: 30, test: 10, gzip: gzip)
        let d = try Dataset.load(.fashionMNIST, directory: dir)
        #expect(d.train.count == 30 && d.test.count == 10)
        #expect(d.train.height == 28 && d.train.width == 28 && d.train.channels == 1)
        let expected = IDXFixtures.bands(count: 30, seed: 1)
        #expect(d.train.pixels == expected.pixels)
        #expect(d.train.labels == expected.labels)
    }

    @Test func truncatedFileNamesFileAndSizes() throws {
        let dir = IDXFixtures.temporaryDirectory()
        let path = "\(dir)/x-images"
        var bytes = IDXFixtures.imagesFile(count: 3, rows: 2, cols: 2, pixels: Array(repeating: 1, count: 12))
        bytes.removeLast(5)
        IDXFixtures.write(bytes, to: path, gzip: false)
        #expect(throws: DataError.malformed(path: path, reason: "header promises 12 data bytes, file holds 7 (truncated or corrupt)")) {
            try IDXReader.readImages(path: path)
        }
    }

    @Test func truncatedGzipIsAnError() throws {
        let dir = IDXFixtures.temporaryDirectory()
        let gz = "\(dir)/full.gz"
        IDXFixtures.write(IDXFixtures.imagesFile(count: 50, rows: 28, cols: 28, pixels: IDXFixtures.bands(count: 50, seed: 3).pixels), to: gz, gzip: true)
        let data = try Data(contentsOf: URL(fileURLWithPath: gz))
        let cut = "\(dir)/cut.gz"
        _ = FileManager.default.createFile(atPath: cut, contents: data.prefix(data.count / 2))
        do {
            _ = try IDXReader.readImages(path: cut)
            Issue.record("a truncated gzip file was accepted")
        } catch let e as DataError {
            #expect(e.description.hasPrefix(cut))
        }
    }

    @Test func wrongMagicAndMissingFile() throws {
        let dir = IDXFixtures.temporaryDirectory()
        IDXFixtures.write(IDXFixtures.labelsFile([UInt8](repeating: 1, count: 40)), to: "\(dir)/l", gzip: false)
        #expect(throws: DataError.self) { try IDXReader.readImages(path: "\(dir)/l") }
        do { _ = try IDXReader.readImages(path: "\(dir)/l") } catch { #expect("\(error)".contains("magic number is 0x801, expected 0x803")) }
        do {
            _ = try Dataset.load(.fashionMNIST, directory: "\(dir)/nowhere")
            Issue.record("missing directory accepted")
        } catch let e as DataError {
            #expect(e.description.contains("\(dir)/nowhere/train-images-idx3-ubyte"))
        }
    }
}

@Suite struct DataSplitTests {
    @Test func holdoutIsDisjointDeterministicAndLimited() {
        let a = DataSplit.holdout(count: 1000, validationFraction: 0.2, seed: 4)
        #expect(a.validationIndices.count == 200 && a.trainIndices.count == 800)
        #expect(Set(a.trainIndices).isDisjoint(with: a.validationIndices))
        #expect(Set(a.trainIndices + a.validationIndices) == Set(0..<1000))
        #expect(a == DataSplit.holdout(count: 1000, validationFraction: 0.2, seed: 4))
        #expect(a != DataSplit.holdout(count: 1000, validationFraction: 0.2, seed: 5))
        let limited = DataSplit.holdout(count: 1000, validationFraction: 0.2, seed: 4, trainLimit: 100)
        #expect(limited.trainIndices.count == 100 && limited.validationIndices == a.validationIndices)
        #expect(Set(limited.trainIndices).isSubset(of: a.trainIndices))
    }

    @Test func normalizationMapsPixels() {
        let images = LabeledImages(count: 1, height: 1, width: 2, channels: 1, pixels: [0, 255], labels: [3])
        let (x, y) = Normalization(mean: 0.5, std: 0.25).batch(images, indices: [0][...])
        #expect(y == [3])
        #expect(abs(x.data[0] + 2) < 1e-5 && abs(x.data[1] - 2) < 1e-5)
    }
}

@Suite struct AugmentationTests {
    private let shape = ImageShape(channels: 2, height: 3, width: 4)
    private var image: Matrix { Matrix(rows: 1, cols: 24, data: (0..<24).map(Float.init)) }

    @Test func flipMirrorsEveryRowOfEveryChannel() {
        var flipped = 0
        for seed in 0..<20 as Range<UInt64> {
            var rng = RandomSource(seed: seed)
            var x = image
            Augmentation(cropPadding: 0, horizontalFlip: true).apply(&x, shape: shape, fill: [-1, -2], rng: &rng)
            if x == image { continue }
            flipped += 1
            #expect(Array(x.data[0..<4]) == [3, 2, 1, 0] && Array(x.data[12..<16]) == [15, 14, 13, 12])
        }
        #expect(flipped > 3 && flipped < 17)
    }

    @Test func cropShiftsAndPadsWithTheBlackLevel() {
        var shifted = 0
        for seed in 0..<30 as Range<UInt64> {
            var rng = RandomSource(seed: seed), again = RandomSource(seed: seed)
            var x = image, y = image
            let crop = Augmentation(cropPadding: 1, horizontalFlip: false)
            crop.apply(&x, shape: shape, fill: [-1, -2], rng: &rng)
            crop.apply(&y, shape: shape, fill: [-1, -2], rng: &again)
            #expect(x == y)
            #expect(x.data[0..<12].allSatisfy { $0 == -1 || (0..<12).contains(Int($0)) })
            #expect(x.data[12..<24].allSatisfy { $0 == -2 || (12..<24).contains(Int($0)) })
            if x != image { shifted += 1 }
        }
        #expect(shifted > 10)
    }

    @Test func blackLevelIsTheNormalizedZeroPixel() {
        #expect(DatasetName.cifar10.normalization.blackLevel.map { ($0 * 1000).rounded() } == [-1989, -1980, -1707])
    }
}

@Suite struct KFoldTests {
    @Test func foldsPartitionTheTrainingSet() {
        let splits = (0..<5).map { DataSplit.kFold(count: 103, folds: 5, fold: $0, seed: 9) }
        let validations = splits.map(\.validationIndices)
        #expect(Set(validations.flatMap { $0 }) == Set(0..<103))
        #expect(validations.map(\.count).reduce(0, +) == 103)
        #expect(validations.allSatisfy { (20...21).contains($0.count) })
        for s in splits {
            #expect(Set(s.trainIndices).isDisjoint(with: s.validationIndices) && s.trainIndices.count + s.validationIndices.count == 103)
        }
        #expect(DataSplit.kFold(count: 103, folds: 5, fold: 2, seed: 9) == splits[2])
        #expect(DataSplit.kFold(count: 103, folds: 5, fold: 2, seed: 9, trainLimit: 10).trainIndices.count == 10)
    }
}
