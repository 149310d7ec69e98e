import FATNNCertificates
import FATNNClient
import FATNNCoordinator
import FATNNJobs
import FATNNWorker
import Foundation
import Testing

/// The coordinator over TLS (issue 19), in process on loopback: clients that trust the lab CA get
/// answers; clients that do not, or that name a host the certificate does not, are refused by the
/// handshake with a non-transient error; a worker runs a job over https.
@Suite(.serialized) struct TLSEndToEndTests {
    static func certificates(_ hosts: [String]) throws -> String {
        let dir = try temporaryFolder("fatnn-certs")
        try LabCertificates.write(try LabCertificates.make(hosts: hosts), to: dir)
        return dir
    }

    static func isTLSRefusal(_ error: any Error) -> Bool {
        if case .tls? = error as? ClientError { return true }
        return false
    }

    @Test func workerRunsAJobOverHTTPS() async throws {
        let certs = try Self.certificates(["localhost"])
        let tls = try CoordinatorTLS.load(certificateChain: certs + "/server.pem", privateKey: certs + "/server-key.pem")
        let sweep = #"{ "name": "tls", "base": {"model": "mlp", "dataset": {"name": "fashion-mnist", "trainLimit": 500}, "training": {"epochs": 1, "learningRate": 0.1}}, "seeds": [1] }"#
        try await withCoordinator(tls: tls) { ip, _ in
            #expect(ip.hasPrefix("https://127.0.0.1:"))
            let url = ip.replacingOccurrences(of: "127.0.0.1", with: "localhost")  // the name the certificate gives
            let trusting = try CoordinatorClient(baseURL: url, token: testToken, caFile: certs + "/ca.pem")
            _ = try await trusting.submit(document: Data(sweep.utf8))
            let worker = try Worker(options: WorkerOptions(coordinator: url, token: testToken, exitWhenIdle: true, checkpointDirectory: nil,
                                                           caFile: certs + "/ca.pem"), logger: WorkerRobustnessTests.quiet)
            #expect(try await worker.run() == 1)
            #expect(try await trusting.leaderboard().allSatisfy { $0.state == .succeeded })

            // The system's roots do not hold the lab CA; another lab CA is not this one; the
            // certificate names localhost, not 127.0.0.1 (same server, other name).
            let otherCA = try Self.certificates(["localhost"]) + "/ca.pem"
            for client in [try CoordinatorClient(baseURL: url, token: testToken),
                           try CoordinatorClient(baseURL: url, token: testToken, caFile: otherCA),
                           try CoordinatorClient(baseURL: ip, token: testToken, caFile: certs + "/ca.pem")] {
                await #expect { _ = try await client.status() } throws: { Self.isTLSRefusal($0) && !(($0 as? ClientError)?.isTransient ?? true) }
            }
            // Plain http to the TLS port gets no answer.
            let plain = try CoordinatorClient(baseURL: url.replacingOccurrences(of: "https://", with: "http://"), token: testToken,
                                              timeoutSeconds: 5)
            await #expect(throws: ClientError.self) { _ = try await plain.status() }
        }
    }

    @Test func badCertificateFilesAreNamed() throws {
        let certs = try Self.certificates(["localhost"])
        let other = try Self.certificates(["localhost"])
        #expect { _ = try CoordinatorTLS.load(certificateChain: certs + "/server.pem", privateKey: other + "/server-key.pem") } throws: {
            ($0 as? TLSFileError)?.description.contains("does not match the certificate") == true
        }
        #expect { _ = try CoordinatorTLS.load(certificateChain: certs + "/server-key.pem", privateKey: certs + "/server-key.pem") } throws: {
            ($0 as? TLSFileError)?.path.hasSuffix("server-key.pem") == true
        }
        #expect { _ = try CoordinatorClient(baseURL: "https://localhost:1", token: testToken, caFile: certs + "/nope.pem") } throws: {
            if case .badCAFile(let path, _)? = $0 as? ClientError { return path.hasSuffix("nope.pem") }
            return false
        }
        #expect(throws: LabCertificates.Failure.self) { _ = try LabCertificates.make(hosts: ["bad host!"]) }
    }
}
