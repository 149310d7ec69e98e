@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import Testing

/// docs/ARCHITECTURE.md's lifecycle diagram is checked against the rulebook's enums: it names
/// every state and every event, so a new state or event cannot be added without drawing it.
@Suite struct LifecycleDiagramTests {
    /// The diagram: the first fenced block after "The lifecycle is one rulebook".
    static func diagram() throws -> String {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/ARCHITECTURE.md").standardized.path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = try #require(text.range(of: "The lifecycle is one rulebook"), "ARCHITECTURE.md has no lifecycle section")
        let fence = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "```", range: fence.upperBound..<text.endIndex))
        return String(text[fence.upperBound..<end.lowerBound])
    }

    /// How the diagram names an event (exhaustive: a new event must be given a name here).
    static func drawnAs(_ event: LifecycleEvent) -> String {
        switch event {
        case .claim: "claim"
        case .heartbeat: "heartbeat"
        case .prune: "prune"
        case .succeed: "result"
        case .jobError: "error"
        case .release: "release"
        case .expire: "lease expired"
        case .timeOut: "timeout"
        case .cancel: "cancel"
        case .retry: "retry"
        case .invalidate: "invalidate"
        case .parentEnded: "parentEnded"
        }
    }

    @Test func theDiagramNamesEveryStateAndEvent() throws {
        let d = try Self.diagram()
        for state in JobState.allCases { #expect(d.contains(state.rawValue), "the diagram does not draw state \(state.rawValue)") }
        let events: [LifecycleEvent] = [.claim(token: ""), .heartbeat(token: ""), .prune(token: "", reason: ""), .succeed(token: ""), .jobError(token: "", message: ""),
                                        .release(token: ""), .expire, .timeOut, .cancel, .retry, .invalidate, .parentEnded(0, .failed)]
        for e in events { #expect(d.contains(Self.drawnAs(e)), "the diagram does not draw event \(e) (as '\(Self.drawnAs(e))')") }
    }
}
