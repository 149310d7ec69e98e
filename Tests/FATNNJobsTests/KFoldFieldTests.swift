import FATNNJobs
import Foundation
import Testing

@Suite struct KFoldFieldTests {
    private func job(_ dataset: String) throws(SweepError) -> [JobConfig] {
        try Sweep.parse(Data(#"{ "name": "k", "base": { "model": "mlp", "dataset": \#(dataset), "training": {"epochs": 1, "learningRate": 0.1} }, "grid": {"dataset.fold": [0, 1, 2]}, "seeds": [1] }"#.utf8)).jobs
    }

    @Test func foldsExpandAndLabel() throws {
        let jobs = try job(#"{"name": "mnist", "folds": 3}"#)
        #expect(jobs.map(\.dataset.fold) == [0, 1, 2] && jobs.allSatisfy { $0.dataset.validationFraction == 1.0 / 3 })
        #expect(jobs[1].splitLabel == "fold 1/3 s0")
        #expect(Set(jobs.map(\.configHash)).count == 3)
    }

    @Test(arguments: [
        (#"{"name": "mnist", "folds": 3, "validationFraction": 0.2}"#, "base.dataset.folds"),
        (#"{"name": "mnist", "folds": 2}"#, #"grid["dataset.fold"][2]"#),
        (#"{"name": "mnist"}"#, #"grid["dataset.fold"][0]"#),
    ])
    func inconsistentFoldsAreRejected(dataset: String, path: String) {
        do { _ = try job(dataset); Issue.record("accepted \(dataset)") } catch { #expect(error.path == path, "\(error)") }
    }
}
