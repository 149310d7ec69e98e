@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import Testing

// Fixtures shared by the coordinator suites: a clock the tests move, stores on temporary
// databases, a sample sweep and result.

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t: Double = 1_000_000
    var now: Double { lock.withLock { t } }
    func advance(_ s: Double) { lock.withLock { t += s } }
}

extension TestClock {
    /// A store on a fresh temporary database that reads this clock, with 60-second leases.
    func store() throws -> JobStore {
        try JobStore(path: temporaryDatabase(), leaseSeconds: 60, backoffSeconds: 0, clock: { [self] in now })
    }
}

func temporaryDatabase() -> String {
    let dir = NSTemporaryDirectory() + "fatnn-store-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/jobs.sqlite"
}

func sampleSweep(name: String = "s", seeds: [Int] = [1, 2], rates: [Double] = [0.05, 0.1]) throws -> Sweep {
    try Sweep.parse(Data("""
        { "name": "\(name)", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1} },
          "grid": {"training.learningRate": [\(rates.map { "\($0)" }.joined(separator: ","))]}, "seeds": [\(seeds.map(String.init).joined(separator: ","))] }
        """.utf8))
}

func sampleResult(_ acc: Double) -> JobResult {
    JobResult(testAccuracy: acc, testLoss: 0.4, validationAccuracy: acc - 0.01, trainLoss: 0.3, trainSeconds: 12,
              imagesPerSecond: 4000, epochs: [EpochReport(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.8, validationAccuracy: 0.8,
                                                        learningRate: 0.1, seconds: 6),
                                              EpochReport(epoch: 2, trainLoss: 0.3, trainAccuracy: 0.85, validationAccuracy: acc - 0.01,
                                                          learningRate: 0, seconds: 6)],
              host: "h", threads: 1)
}
