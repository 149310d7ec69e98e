import Dispatch
import Foundation

/// SIGTERM and SIGINT delivered to a handler on a dispatch queue (not as an asynchronous
/// signal), with how many signals have arrived so far.
final class SignalHandlers: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    static func install(_ handler: @escaping @Sendable (_ name: String, _ count: Int) -> Void) -> SignalHandlers {
        let h = SignalHandlers()
        for (sig, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let n = h.lock.withLock { h.count += 1; return h.count }
                handler(name, n)
            }
            source.resume()
            h.sources.append(source)
        }
        return h
    }

    func cancel() { for s in sources { s.cancel() } }
}
