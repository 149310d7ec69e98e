import FATNNJobs
import Foundation
import Testing

/// The job cap holds for every expansion (issue 19): stages without a grid used to skip it, so a
/// 590 KB document with 20 stages of 100,000 seeds expanded to 2,000,000 jobs.
@Suite struct SweepCapTests {
    @Test func stagesWithoutGridsCountTowardTheCap() throws {
        let seeds = (0..<Sweep.maxJobs).map(String.init).joined(separator: ",")
        let stages = (0..<20).map { #"{"name": "s\#($0)"}"# }.joined(separator: ",")
        let text = #"{ "name": "big", "base": {"model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [\#(seeds)], "stages": [\#(stages)] }"#
        #expect(text.utf8.count < Sweep.maxDocumentBytes)
        do {
            _ = try Sweep.parse(Data(text.utf8))
            Issue.record("expanded past the cap")
        } catch {
            // The first stage fills the cap; the second has no room left.
            #expect(error.path == "stages[1].grid" && error.message.contains("the limit is 100000"), "\(error)")
        }
    }
}
