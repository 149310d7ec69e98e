import FATNNJobs
import Foundation
import Testing

/// Sweeps with stages: fine-tuning jobs linked to their parents.
@Suite struct SweepStageTests {
    private func parse(_ text: String) throws(SweepError) -> Sweep { try Sweep.parse(Data(text.utf8)) }

    private let base = #""base": {"model": "cnn-s", "dataset": {"name": "fashion-mnist", "trainLimit": 2000}, "training": {"epochs": 2, "learningRate": 0.1}}"#

    @Test func fineTuningStageStartsFromTheMatchingParent() throws {
        let s = try parse(#"{ "name": "q", \#(base), "seeds": [1, 2], "stages": [ {"name": "fp"}, {"name": "ternary", "from": "fp", "base": {"training": {"learningRate": 0.01}}, "grid": {"quantizer.kind": ["fatnn", "tnn"]}} ] }"#)
        #expect(s.jobs.count == 2 + 4)
        let parents = Array(s.jobs[0..<2]), children = Array(s.jobs[2...])
        #expect(parents.allSatisfy { $0.quantizer.kind == .fp && $0.initFrom == nil && $0.training.learningRate == 0.1 })
        for c in children {
            #expect(c.training.learningRate == 0.01 && c.training.epochs == 2, "stage base merges over the shared base")
            let parent = try #require(parents.first { $0.configHash == c.initFrom })
            #expect(parent.seed == c.seed && parent.model == c.model && parent.dataset == c.dataset)
        }
        #expect(Set(children.map(\.configHash)).count == 4)
        // The parent's hash is part of the child's identity.
        var orphan = children[0]
        orphan.initFrom = nil
        #expect(orphan.configHash != children[0].configHash)
    }

    @Test(arguments: [
        (#""stages": [ {"name": "a"}, {"name": "b", "from": "c"} ]"#, "stages[1].from"),
        (#""stages": [ {"name": "a"}, {"name": "a"} ]"#, "stages[1].name"),
        (#""stages": [ {"name": "a", "grid": {"training.learningRate": [0.1, 0.2]}}, {"name": "b", "from": "a"} ]"#, "stages[1].from"),
        (#""stages": [ {"name": "a", "grid": {"training.epochs": [0]}} ]"#, #"stages[0].grid["training.epochs"][0]"#),
        (#""stages": [ {"name": "a", "extra": 1} ]"#, "stages[0].extra"),
        (#""stages": []"#, "stages"),
        (#""grid": {"model": ["mlp"]}, "stages": [ {"name": "a"} ]"#, "grid"),
    ])
    func invalidStagesAreBlamedPrecisely(fragment: String, path: String) {
        do {
            _ = try parse(#"{ "name": "q", \#(base), "seeds": [1], \#(fragment) }"#)
            Issue.record("accepted \(fragment)")
        } catch {
            #expect(error.path == path, "\(error)")
        }
    }

    @Test func initFromMustBeAConfigHash() {
        do {
            _ = try parse(#"{ "name": "q", "base": {"model": "cnn-s", "initFrom": "abc", "dataset": {"name": "mnist"}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#)
            Issue.record("accepted a short initFrom")
        } catch {
            #expect(error.path == "base.initFrom")
        }
    }
}
