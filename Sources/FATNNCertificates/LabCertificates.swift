import Crypto
import Foundation
import SwiftASN1
import X509
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lab certificate authority and a server certificate it signs, for serving the coordinator
/// over TLS without a public CA (`fatnn-coord tls init`). Keys are P-256; the server certificate
/// names each host name and IP address workers use to reach the coordinator.
public enum LabCertificates {
    /// The files `write(to:)` creates in its folder.
    public static let files = (caCertificate: "ca.pem", caKey: "ca-key.pem", serverChain: "server.pem", serverKey: "server-key.pem")

    /// Why certificates could not be made or written.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// PEM text of a CA certificate and key, and of a server certificate chain (leaf, then CA) and key.
    public struct Bundle: Sendable {
        public let caCertificate: String
        public let caKey: String
        public let serverChain: String
        public let serverKey: String
    }

    /// A new CA (valid 10 years) and a server certificate (valid 397 days, the most Apple's TLS
    /// stack accepts) for `hosts`: DNS names and IPv4/IPv6 addresses.
    ///
    /// - Throws: ``Failure`` when `hosts` is empty or a name is not a valid DNS name.
    public static func make(hosts: [String], caName: String = "FATNN lab CA") throws -> Bundle {
        guard !hosts.isEmpty else { throw Failure("give at least one host name or IP address the coordinator is reached at") }
        var names: [GeneralName] = []
        for host in hosts {
            if let bytes = ipBytes(host) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
            } else {
                let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*")
                guard !host.isEmpty, host.count <= 253, host.allSatisfy({ allowed.contains($0) }), !host.hasPrefix("-") else {
                    throw Failure("'\(host)' is neither an IP address nor a DNS name")
                }
                names.append(.dnsName(host))
            }
        }
        let now = Date()
        let caKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let caSubject = try DistinguishedName { CommonName(caName) }
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: caKey.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(10 * 365.25 * 86_400),
            issuer: caSubject, subject: caSubject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: caKey.publicKey)
            },
            issuerPrivateKey: caKey)
        let serverKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: serverKey.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(397 * 86_400),
            issuer: caSubject, subject: try DistinguishedName { CommonName(hosts[0]) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: serverKey.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: try ca.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: caKey)
        let caPEM = try ca.serializeAsPEM().pemString
        return Bundle(caCertificate: caPEM + "\n", caKey: try caKey.serializeAsPEM().pemString + "\n",
                      serverChain: try server.serializeAsPEM().pemString + "\n" + caPEM + "\n",
                      serverKey: try serverKey.serializeAsPEM().pemString + "\n")
    }

    /// Writes the bundle's four files into `directory` (created if missing); keys get mode 0600.
    /// Existing files are never overwritten.
    ///
    /// - Returns: the paths written, in the order of ``files``.
    @discardableResult
    public static func write(_ bundle: Bundle, to directory: String) throws -> [String] {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw Failure("\(directory): cannot create the folder: \(error.localizedDescription)")
        }
        let items = [(files.caCertificate, bundle.caCertificate, 0o644), (files.caKey, bundle.caKey, 0o600),
                     (files.serverChain, bundle.serverChain, 0o644), (files.serverKey, bundle.serverKey, 0o600)]
        let paths = items.map { (directory as NSString).appendingPathComponent($0.0) }
        for path in paths where FileManager.default.fileExists(atPath: path) {
            throw Failure("\(path) exists; remove it or choose another folder (certificates are never overwritten)")
        }
        for ((_, text, mode), path) in zip(items, paths) {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode_t(mode))
            guard fd >= 0 else { throw Failure("\(path): cannot create: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            guard posixWrite(fd, bytes) == bytes.count else {
                throw Failure("\(path): cannot write: \(String(cString: strerror(errno)))")
            }
        }
        return paths
    }

    /// The network-order bytes of an IPv4 or IPv6 address, or nil.
    static func ipBytes(_ s: String) -> [UInt8]? {
        var a4 = in_addr()
        if inet_pton(AF_INET, s, &a4) == 1 { return withUnsafeBytes(of: &a4) { Array($0) } }
        var a6 = in6_addr()
        if inet_pton(AF_INET6, s, &a6) == 1 { return withUnsafeBytes(of: &a6) { Array($0) } }
        return nil
    }
}

private func posixWrite(_ fd: Int32, _ bytes: [UInt8]) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, bytes, bytes.count)
    #else
    Darwin.write(fd, bytes, bytes.count)
    #endif
}
