import FATNNJobs
import Foundation
import Testing

@Suite struct TrainingFieldTests {
    @Test func warmupAndAdamAreValidatedAndKeepOldHashesAtDefaults() throws {
        let plain = try Sweep.parse(Data(#"{ "name": "w", \#(sweepBase), "seeds": [1] }"#.utf8)).jobs[0]
        let zero = try Sweep.parse(Data(#"{ "name": "w", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1, "warmupEpochs": 0} }, "seeds": [1] }"#.utf8)).jobs[0]
        #expect(plain.configHash == zero.configHash)
        #expect(!plain.canonicalJSON.contains("warmupEpochs"))
        let adam = try Sweep.parse(Data(#"{ "name": "w", \#(sweepBase), "grid": {"training.optimizer": ["sgd", "adam"], "training.warmupEpochs": [1]}, "seeds": [1] }"#.utf8)).jobs
        #expect(adam.map(\.training.optimizer) == [.sgd, .adam] && adam.allSatisfy { $0.training.warmupEpochs == 1 })
        do {
            _ = try Sweep.parse(Data(#"{ "name": "w", \#(sweepBase), "grid": {"training.warmupEpochs": [2]}, "seeds": [1] }"#.utf8))
            Issue.record("warm-up as long as training accepted")
        } catch {
            #expect(error.path == #"grid["training.warmupEpochs"][0]"#)
        }
    }
}
