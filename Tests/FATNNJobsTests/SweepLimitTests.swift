import FATNNJobs
import Foundation
import Testing

@Suite struct SweepLimitTests {
    @Test func hugeGridIsRejectedWithoutOverflow() {
        let axes = (0..<64).map { #""quantizer.params.k\#($0)": [0, 1]"# }.joined(separator: ", ")
        do {
            _ = try Sweep.parse(Data(#"{ "name": "x", \#(sweepBase), "grid": {\#(axes)}, "seeds": [1, 2] }"#.utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.path == "grid" && error.message.contains("100000"))
        }
    }

    @Test func revalidatedAcceptsItsOwnCanonicalForm() throws {
        let job = try Sweep.parse(Data(#"{ "name": "x", \#(sweepBase), "seeds": [4] }"#.utf8)).jobs[0]
        #expect(try job.revalidated() == job)
        var bad = job
        bad.training.epochs = -1
        #expect(throws: SweepError.self) { try bad.revalidated() }
    }
}
