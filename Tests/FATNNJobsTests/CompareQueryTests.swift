import FATNNJobs
import Foundation
import Testing

/// The paired comparison's request, keys and labels, apart from any store.
@Suite struct CompareQueryTests {
    @Test func queryItemsRoundTrip() throws {
        let q = CompareQuery(by: "quantizer", baseline: "tnn", metric: "val_acc", filter: "lr = 0.1", sweep: "s")
        #expect(try CompareQuery.from(items: q.queryItems) == q)
        #expect(try CompareQuery.from(items: [("by", "lr"), ("baseline", "0.1")]).metric == "test_acc")
        #expect(throws: QueryError.self) { try CompareQuery.from(items: [("baseline", "tnn")]) }
        #expect(throws: QueryError.self) { try CompareQuery.from(items: [("by", "quantizer"), ("baseline", "tnn"), ("limit", "3")]) }
        let l = LeaderboardQuery(select: "val_acc", by: ["quantizer", "model"])
        #expect(try LeaderboardQuery.from(items: l.queryItems) == l)
    }

    @Test func quantizerKeyRemovesTheWholeQuantizer() throws {
        let key = try ComparisonKey("quantizer")
        #expect(try ComparisonKey("quantizer.kind").path == ["quantizer"])
        func config(_ quantizer: String) throws -> JSONValue {
            try JSONDecoder().decode(JSONValue.self, from: Data("""
                {"model": "cnn-s", "seed": 1, "quantizer": \(quantizer), "training": {"epochs": 2}}
                """.utf8))
        }
        let a = key.split(try config(#"{"kind": "fatnn", "params": {"perChannelWeights": 1}}"#))
        let b = key.split(try config(#"{"kind": "tnn", "params": {}}"#))
        #expect(a.pairKey == b.pairKey && a.pairKey == #"{"model":"cnn-s","seed":1,"training":{"epochs":2}}"#)
        let labels = key.labels(of: [a.value, b.value])
        #expect(labels[a.value] == "fatnn" && labels[b.value] == "tnn")
        // One kind with two parameter sets: both labelled with their parameters.
        let c = key.split(try config(#"{"kind": "fatnn", "params": {}}"#))
        let three = key.labels(of: [a.value, b.value, c.value])
        #expect(three[a.value] == "fatnn{perChannelWeights=1}" && three[c.value] == "fatnn{}" && three[b.value] == "tnn")
        // A nested key that a config lacks is the value `none`.
        let p = try ComparisonKey("quantizer.params.perChannelWeights")
        #expect(p.labels(of: [p.split(try config(#"{"kind": "tnn", "params": {}}"#)).value]).values.first == "none")
    }

    @Test func unknownKeysAndTheSeedAreRefused() {
        #expect(throws: QueryError.self) { try ComparisonKey("optimiser") }
        do { _ = try ComparisonKey("seed"); Issue.record("seed accepted") } catch {
            #expect(error.message.contains("pairs are matched on the seed"))
            #expect(error.description == error.message, "a parameter error has no expression to point into")
        }
        #expect((try? ComparisonKey("training.momentum"))?.path == ["training", "momentum"])
        #expect((try? ComparisonKey("lr"))?.path == ["training", "learningRate"])
    }
}
