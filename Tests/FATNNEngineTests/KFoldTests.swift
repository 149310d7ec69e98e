@testable import FATNNEngine
import FATNNTestSupport
import FATNNVocabulary
import Foundation
import Testing

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
