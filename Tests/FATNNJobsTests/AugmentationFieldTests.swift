import FATNNJobs
import Foundation
import Testing

@Suite struct AugmentationFieldTests {
    @Test func defaultsKeepTheHashAndValuesAreChecked() throws {
        let plain = try Sweep.parse(Data(#"{ "name": "a", \#(sweepBase), "seeds": [1] }"#.utf8)).jobs[0]
        let explicit = try Sweep.parse(Data(#"{ "name": "a", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1, "cropPadding": 0, "horizontalFlip": false} }, "seeds": [1] }"#.utf8)).jobs[0]
        #expect(plain.configHash == explicit.configHash)
        let grid = try Sweep.parse(Data(#"{ "name": "a", \#(sweepBase), "grid": {"training.cropPadding": [0, 4], "training.horizontalFlip": [true]}, "seeds": [1] }"#.utf8)).jobs
        #expect(grid.map(\.training.cropPadding) == [nil, 4] && grid.allSatisfy { $0.training.horizontalFlip == true })
        #expect(throws: SweepError.self) { try Sweep.parse(Data(#"{ "name": "a", \#(sweepBase), "grid": {"training.cropPadding": [17]}, "seeds": [1] }"#.utf8)) }
    }
}
