import FATNNJobs
import Foundation
import Testing

/// Parses a sweep document (the suites of `Sweep` parsing share it).
func sweep(_ json: String) throws(SweepError) -> Sweep { try Sweep.parse(Data(json.utf8)) }

/// A valid `"base"` member for test sweeps.
let sweepBase = """
    "base": { "model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1} }
    """
