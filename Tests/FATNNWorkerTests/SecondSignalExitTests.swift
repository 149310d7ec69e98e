@testable import FATNNWorker
import Foundation
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import UnixSignals

/// ``SecondSignalExit`` on a hand-fed signal sequence: the first signal is left to the group's
/// graceful shutdown, the second exits, and the group's own shutdown ends the watch quietly.
@Suite struct SecondSignalExitTests {
    final class Exits: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [UnixSignal] = []
        var all: [UnixSignal] { lock.withLock { values } }
        func add(_ s: UnixSignal) { lock.withLock { values.append(s) } }
    }

    static let logger = Logger(label: "test")

    @Test func theSecondSignalExitsAndTheFirstDoesNot() async throws {
        let exits = Exits()
        let (signals, feed) = AsyncStream.makeStream(of: UnixSignal.self)
        let watcher = SecondSignalExit(signals: signals, logger: Self.logger) { exits.add($0) }
        let run = Task { try await watcher.run() }
        feed.yield(.sigterm)
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(exits.all.isEmpty, "the first signal is the graceful shutdown's")
        feed.yield(.sigint)
        try await run.value  // returns after exiting, without waiting for more signals
        #expect(exits.all == [.sigint])
    }

    @Test func gracefulShutdownEndsTheWatchWithoutExiting() async throws {
        let exits = Exits()
        let (signals, feed) = AsyncStream.makeStream(of: UnixSignal.self)
        try await testGracefulShutdown { trigger in
            let watcher = SecondSignalExit(signals: signals, logger: Self.logger) { exits.add($0) }
            async let run: Void = watcher.run()
            feed.yield(.sigterm)
            trigger.triggerGracefulShutdown()
            try await run
        }
        feed.yield(.sigterm)
        #expect(exits.all.isEmpty)
    }
}
