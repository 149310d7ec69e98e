@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

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
