import FATNNJobs
import Testing

/// `fatnn-coord status --watch`'s line per sweep: counts, bar and time left.
@Suite struct StatusLineTests {
    private func counts(_ c: [JobState: Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, c[$0] ?? 0) })
    }

    @Test func barAndTimeLeft() {
        let s = API.ProgressReport.SweepCounts(name: "asha", paused: false,
                                               counts: counts([.succeeded: 6, .leased: 2, .pruned: 16, .queued: 6]),
                                               remainingEpochs: 60, secondsPerEpoch: 10)
        // 60 epochs x 10 s over 2 running jobs: 300 s.
        #expect(s.secondsLeft == 300)
        #expect(s.statusLine == "asha: [######>>----------------......] succeeded 6 running 2 queued 6 pruned 16 failed 0 cancelled 0; about 5 min left (60 epochs)")
    }

    @Test func withoutAPaceOrWhenDone() {
        let waiting = API.ProgressReport.SweepCounts(name: "w", paused: true, counts: counts([.queued: 3]), remainingEpochs: 27)
        #expect(waiting.secondsLeft == nil)
        #expect(waiting.statusLine.hasSuffix("; 27 epochs left, no pace yet") && waiting.statusLine.hasPrefix("w (paused): [..............................]"))
        let done = API.ProgressReport.SweepCounts(name: "d", paused: false, counts: counts([.succeeded: 2, .failed: 1]), remainingEpochs: 0)
        #expect(done.secondsLeft == 0 && done.statusLine.hasSuffix("; done"))
        #expect(done.statusLine.contains("[####################xxxxxxxxxx]"))
    }
}
