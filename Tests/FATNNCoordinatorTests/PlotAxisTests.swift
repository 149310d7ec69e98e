@testable import FATNNCoordinator
import Testing

/// Plot axes tick at round values: 1-2-5 steps, whole epochs, percentages, log decades.
@Suite struct PlotAxisTests {
    @Test func accuracyTicksAreRoundPercentages() {
        let axis = PlotAxis(name: "accuracy", format: .percent)
        let ticks = axis.ticks(covering: [0.8123, 0.9456])
        #expect(ticks.count == 4)
        #expect(zip(ticks, [0.8, 0.85, 0.9, 0.95]).allSatisfy { abs($0 - $1) < 1e-12 }, "\(ticks)")
        #expect(ticks.map { axis.label($0, ticks: ticks) } == ["80%", "85%", "90%", "95%"])
        let fine = axis.ticks(covering: [0.861, 0.874])
        #expect(fine.map { axis.label($0, ticks: fine) } == ["86.0%", "86.5%", "87.0%", "87.5%"], "0.5-point steps need one decimal")
    }

    @Test func epochTicksAreWholeNumbers() {
        let axis = PlotAxis(name: "epoch", format: .integer)
        #expect(axis.ticks(covering: [1, 9]) == [0, 2, 4, 6, 8, 10])
        #expect(axis.ticks(covering: [1, 3]) == [1, 2, 3])
        #expect(axis.ticks(covering: [1]) == [0, 1, 2], "one epoch still gets an axis")
        #expect(axis.label(4, ticks: [0, 2, 4]) == "4")
    }

    @Test func plainTicksUseOneTwoFiveSteps() {
        let axis = PlotAxis(name: "loss")
        #expect(axis.ticks(covering: [0.23, 1.71]) == [0, 0.5, 1, 1.5, 2])
        #expect(axis.ticks(covering: [120, 870]) == [0, 200, 400, 600, 800, 1000])
        let t = axis.ticks(covering: [0.23, 1.71])
        #expect(t.map { axis.label($0, ticks: t) } == ["0", "0.5", "1.0", "1.5", "2.0"])
    }

    @Test func logTicksAreOneTwoFivePerDecade() {
        let axis = PlotAxis(name: "lr", log: true)
        let t = axis.ticks(covering: [0.00123, 0.2])
        #expect(t == [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2])
        #expect(t.map { axis.label($0, ticks: t) } == ["0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2"])
        // Past three decades, powers of ten only.
        #expect(axis.ticks(covering: [1e-6, 0.3]) == [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1])
        #expect(axis.ticks(covering: [0, -1]) == [1, 10], "no positive value: a default decade")
    }
}
