@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

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
