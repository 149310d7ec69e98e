import Foundation

/// A network namespace joined to this host by a veth pair: a second "host" for tests, with
/// the coordinator reachable from it at ``hostAddress`` (not loopback).
struct NetworkNamespace {
    let name: String
    let hostAddress: String
    let link: String

    /// Whether this process may make namespaces (root with `ip`).
    static var available: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip) }
    static let ip = FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"

    static func make() throws -> NetworkNamespace {
        let tag = String(UInt32.random(in: 0..<0xFFFF), radix: 16)
        let subnet = Int.random(in: 16...250)
        let ns = NetworkNamespace(name: "fatnn-\(tag)", hostAddress: "10.231.\(subnet).1", link: "fv\(tag)")
        let peer = ns.link + "p"
        for args in [["netns", "add", ns.name],
                     ["link", "add", ns.link, "type", "veth", "peer", "name", peer],
                     ["link", "set", peer, "netns", ns.name],
                     ["addr", "add", ns.hostAddress + "/24", "dev", ns.link],
                     ["link", "set", ns.link, "up"],
                     ["netns", "exec", ns.name, ip, "addr", "add", "10.231.\(subnet).2/24", "dev", peer],
                     ["netns", "exec", ns.name, ip, "link", "set", peer, "up"],
                     ["netns", "exec", ns.name, ip, "link", "set", "lo", "up"]] {
            try run(args)
        }
        return ns
    }

    func remove() {
        try? Self.run(["link", "del", link])
        try? Self.run(["netns", "del", name])
    }

    static func run(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ip)
        p.arguments = args
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw NamespaceError(command: "ip " + args.joined(separator: " ")) }
    }

    struct NamespaceError: Error, CustomStringConvertible {
        let command: String
        var description: String { "failed: \(command)" }
    }
}
