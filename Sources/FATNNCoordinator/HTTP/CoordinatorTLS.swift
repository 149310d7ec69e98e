import Foundation
import HummingbirdTLS
import NIOSSL

/// The coordinator's TLS identity: a certificate chain and its private key, from PEM files,
/// served with TLS 1.2 or later.
public struct CoordinatorTLS: Sendable {
    let configuration: TLSConfiguration

    /// Reads and checks `certificateChain` (PEM, leaf first) and `privateKey` (PEM): both must
    /// parse and belong together.
    ///
    /// - Throws: ``TLSFileError`` naming the file and the reason.
    public static func load(certificateChain: String, privateKey: String) throws -> CoordinatorTLS {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateChain) } catch {
            throw TLSFileError(path: certificateChain, reason: "not a readable PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw TLSFileError(path: certificateChain, reason: "holds no certificate") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: privateKey, format: .pem) } catch {
            throw TLSFileError(path: privateKey, reason: "not a readable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do { _ = try NIOSSLContext(configuration: configuration) } catch {
            throw TLSFileError(path: privateKey, reason: "does not match the certificate in \(certificateChain) (\(error))")
        }
        return CoordinatorTLS(configuration: configuration)
    }
}

/// A TLS certificate or key file that cannot be used.
public struct TLSFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}
