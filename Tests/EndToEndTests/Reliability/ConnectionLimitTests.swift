import FATNNCoordinator
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing

/// The coordinator's HTTP server on a real socket (issue 19): a half-open connection that never
/// finishes its request is closed after the idle timeout, and connections past the cap wait
/// until one closes. (Among the end-to-end tests: an in-process server answers late while the
/// parallel unit tests hold every thread.)
@Suite(.serialized) struct ConnectionLimitTests {
    /// A blocking TCP connection to 127.0.0.1:`port` with a receive timeout.
    final class Socket {
        let fd: Int32
        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard ok == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        }
        deinit { close(fd) }
        func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }
        /// What arrives within `seconds`: nil on timeout, "" once the peer closed.
        func receive(within seconds: Double) -> String? {
            var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { return nil }
            return String(decoding: buffer[0..<n], as: UTF8.self)
        }
    }

    /// Runs `body` (blocking socket calls) on a thread of its own, never on the cooperative pool
    /// that serves the requests, with the port of a server under `limits`.
    func withServer(_ limits: CoordinatorLimits, _ body: @escaping @Sendable (Int) throws -> Void) async throws {
        let store = try JobStore(path: try temporaryFolder("fatnn-limits") + "/jobs.sqlite", leaseSeconds: 60)
        let port = PortBox()
        let app = try CoordinatorServer.application(store: store, tokens: CoordinatorTokens(admin: "admin-token-0123456789"), port: 0,
                                                logger: Logger(label: "test"), limits: limits,
                                                onRunning: { port.set($0) })
        try await CoordinatorServer.serve(app, logger: Logger(label: "test")) {
            while port.value == nil { try await Task.sleep(nanoseconds: 10_000_000) }
            let p = port.value!
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                Thread.detachNewThread { c.resume(with: Result { try body(p) }) }
            }
        }
    }

    final class PortBox: @unchecked Sendable {
        private let lock = NSLock()
        private var port: Int?
        var value: Int? { lock.withLock { port } }
        func set(_ p: Int) { lock.withLock { port = p } }
    }

    @Test func halfOpenRequestIsClosedAfterTheIdleTimeout() async throws {
        try await withServer(CoordinatorLimits(idleTimeoutSeconds: 0.5)) { port in
            let slow = try Socket(port: port)
            slow.send("GET /health HTTP/1.1\r\nHost: x\r\n")  // the head never ends
            #expect(slow.receive(within: 5) == "", "closed by the server, without an answer")
            let normal = try Socket(port: port)
            normal.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(normal.receive(within: 5)?.hasPrefix("HTTP/1.1 200") == true)
        }
    }

    @Test func requestHeadTricklingInIsClosedAfterTheHeadTimeout() async throws {
        try await withServer(CoordinatorLimits(idleTimeoutSeconds: 30, requestHeadTimeoutSeconds: 1)) { port in
            let slow = try Socket(port: port)
            slow.send("GET /health HTTP/1.1\r\n")
            // One header byte every 0.2 s: never idle, never a whole head.
            var closed = false
            let started = Date()
            while Date().timeIntervalSince(started) < 10 {
                slow.send("X")
                if slow.receive(within: 0.2) == "" { closed = true; break }
            }
            #expect(closed && Date().timeIntervalSince(started) < 5, "closed by the head timeout, not after the 30 s idle timeout")
            // A connection that sends its head in time is served, and kept for the next request.
            let normal = try Socket(port: port)
            for _ in 0..<2 {
                normal.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(normal.receive(within: 5)?.hasPrefix("HTTP/1.1 200") == true)
            }
        }
    }

    @Test func connectionsPastTheCapWaitForOneToClose() async throws {
        // The server sees a closed connection as half-closed input and keeps it until the idle
        // timeout: 2 s here, so the first connection's slot frees at most 2 s after it closes.
        try await withServer(CoordinatorLimits(idleTimeoutSeconds: 2, maxConnections: 1)) { port in
            var first: Socket? = try Socket(port: port)
            first?.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(first?.receive(within: 5)?.hasPrefix("HTTP/1.1 200") == true)
            let second = try Socket(port: port)  // queued in the backlog, not served
            second.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(second.receive(within: 1) == nil, "no answer while the first connection holds the only slot")
            first = nil  // closes it
            #expect(second.receive(within: 10)?.hasPrefix("HTTP/1.1 200") == true)
        }
    }
}
