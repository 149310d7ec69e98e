@testable import FATNNCoordinator
import FATNNJobs
import Foundation

/// Adds a sweep to `store` and finishes each of its new jobs with the accuracies `accuracy` gives
/// (test, validation) for its config and replica.
func finish(_ store: JobStore, _ sweep: String, replicate: Int = 0,
            _ accuracy: (JobConfig, Int) -> (test: Double, val: Double)) throws {
    _ = try store.submit(try Sweep.parse(Data(sweep.utf8)), document: "{}", replicate: replicate)
    while let job = try store.claim(worker: "w", host: "h") {
        let (test, val) = accuracy(job.config, job.replica)
        var r = sampleResult(test)
        r.validationAccuracy = val
        try store.complete(job: job.id, token: job.claimToken, result: r)
    }
}

/// A sweep document over cnn-s on fashion-mnist (2 epochs) with `grid` and `seeds`.
func cnnSweep(_ name: String, grid: String, seeds: [Int], lr: Double = 0.1) -> String {
    """
    { "name": "\(name)", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": \(lr)} },
      "grid": {\(grid)}, "seeds": [\(seeds.map(String.init).joined(separator: ", "))] }
    """
}
