import FATNNJobs
import Testing

/// The Sobol' generator against SciPy, and what scrambling keeps.
@Suite struct SobolTests {
    /// SciPy 1.17.1: `qmc.Sobol(d=3, scramble=False).random(8)`.
    @Test func plainPointsEqualSciPy() {
        let scipy: [[Double]] = [[0, 0, 0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75],
                                 [0.375, 0.375, 0.625], [0.875, 0.875, 0.125], [0.625, 0.125, 0.875], [0.125, 0.625, 0.375]]
        let s = Sobol(dimensions: 3, scrambleSeed: nil)
        for (i, row) in scipy.enumerated() { #expect(s.point(i) == row, "point \(i)") }
    }

    /// SciPy 1.17.1: `qmc.Sobol(d=21, scramble=False).random(1024)[1023]` and `[777]` (every
    /// direction-number table row is used in the last dimensions).
    @Test func plainPointsEqualSciPyInTheLastDimensions() {
        let s = Sobol(dimensions: 21, scrambleSeed: nil)
        #expect(s.point(1023) == Self.scipy1023)
        #expect(s.point(777) == Self.scipy777)
    }

    /// The first 2^m scrambled points put exactly one point in each interval [k/2^m, (k+1)/2^m)
    /// of every coordinate, for every seed; different seeds give different points.
    @Test(arguments: [0, 1, 7, 123_456]) func scrambledPointsStayStratified(seed: Int) {
        let s = Sobol(dimensions: 5, scrambleSeed: UInt64(seed))
        let n = 32
        let points = (0..<n).map(s.point)
        for d in 0..<5 {
            let cells = Set(points.map { Int($0[d] * Double(n)) })
            #expect(cells.count == n, "dimension \(d)")
        }
        #expect(points != (0..<n).map(Sobol(dimensions: 5, scrambleSeed: UInt64(seed + 1)).point))
        #expect(points.allSatisfy { $0.allSatisfy { (0..<1).contains($0) } })
    }

    static let scipy1023: [Double] = SciPyFixture.point1023
    static let scipy777: [Double] = SciPyFixture.point777
}
