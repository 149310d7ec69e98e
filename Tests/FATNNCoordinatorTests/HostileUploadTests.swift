@testable import FATNNCoordinator
@testable import FATNNEngine
import FATNNJobs
import FATNNVocabulary
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Model uploads as a hostile or broken worker sends them (issue 19): the claim is checked before
/// the body is read, the body is capped, and only a model that decodes and matches the job is
/// stored; an administrator can delete a stored model.
@Suite struct HostileUploadTests {
    static let admin = "admin-token-0123456789", worker = "worker-token-0123456789"
    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    func app(_ store: JobStore, maxBytes: Int = 256 << 20) -> some ApplicationProtocol {
        Application(router: CoordinatorRoutes.router(store: store.queue, tokens: CoordinatorTokens(admin: Self.admin, worker: Self.worker),
                                                     logger: Logger(label: "test"),
                                                     uploads: ArtifactUploads(limit: 2, maxBytes: maxBytes)))
    }

    /// A store holding one claimed cnn-s `fatnn` job on fashion-mnist.
    static func claimedJob() throws -> (JobStore, API.ClaimedJob) {
        let store = try TestClock().store()
        _ = try store.submit(try Sweep.parse(Data(cnnSweep("u", grid: #""quantizer.kind": ["fatnn"]"#, seeds: [1]).utf8)), document: "{}")
        return (store, try #require(try store.claim(worker: "w", host: "h")))
    }

    /// A model file of `arch` and `kind`, optionally with its header patched.
    static func model(_ arch: ModelArchitecture = .cnnS, kind: QuantizerKind = .fatnn, patch: (String, String)? = nil) throws -> [UInt8] {
        let shape = ImageShape(channels: 1, height: 28, width: 28), settings = QuantizerSettings(kind: kind)
        let net = arch.build(input: shape, classes: 10, seed: 1, quantizer: settings)
        let bytes = [UInt8](try ModelFile(architecture: arch, dataset: .fashionMNIST, input: shape, model: net, quantizer: settings).encoded())
        guard let (old, new) = patch else { return bytes }
        return Self.patched(bytes, old, new)
    }

    static func patched(_ bytes: [UInt8], _ old: String, _ new: String) -> [UInt8] {
        let o = Array(old.utf8)
        guard let at = (0...(bytes.count - o.count)).first(where: { Array(bytes[$0..<($0 + o.count)]) == o }) else { return bytes }
        var b = bytes
        b.replaceSubrange(at..<(at + o.count), with: Array(new.utf8))
        b.removeLast(4)
        var crc = ModelFile.crc(b)
        for _ in 0..<4 { b.append(UInt8(truncatingIfNeeded: crc)); crc >>= 8 }
        return b
    }

    static func message(_ r: TestResponse) -> String {
        (try? JSONDecoder().decode(API.ErrorBody.self, from: Data(r.body.readableBytesView)).error.message) ?? "(no message)"
    }

    @Test func poisonedModelIsRefusedAndNothingIsStored() async throws {
        let (store, job) = try Self.claimedJob()
        let poisoned = try Self.model(patch: ("\"activationInit\":2", "\"activationInit\":0"))
        try await app(store).test(.router) { client in
            var headers = Self.bearer(Self.worker)
            headers[HTTPField.Name("X-Claim-Token")!] = job.claimToken
            try await client.execute(uri: "/api/jobs/\(job.id)/artifact", method: .put, headers: headers,
                                     body: ByteBuffer(bytes: poisoned)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.message(r).contains("model of job \(job.id): header quantizer: activationInit must be a finite number"), "\(Self.message(r))")
            }
            // A model of another architecture or quantizer than the job's is refused too.
            for (other, why) in [(try Self.model(.mlp, kind: .fp), "architecture is mlp; the job trains cnn-s"),
                                 (try Self.model(kind: .tnn), "quantizer is tnn; the job uses fatnn")] {
                try await client.execute(uri: "/api/jobs/\(job.id)/artifact", method: .put, headers: headers,
                                         body: ByteBuffer(bytes: other)) { r in
                    #expect(r.status == .badRequest && Self.message(r).contains(why), "\(Self.message(r))")
                }
            }
            try await client.execute(uri: "/api/artifacts/\(job.config.configHash)", method: .get, headers: Self.bearer(Self.worker)) { r in
                #expect(r.status == .notFound, "nothing was stored")
            }
            // The job's real model is stored, and served once the job's result is accepted.
            let good = try Self.model()
            try await client.execute(uri: "/api/jobs/\(job.id)/artifact", method: .put, headers: headers, body: ByteBuffer(bytes: good)) { r in
                #expect(r.status == .ok, "\(Self.message(r))")
            }
            try store.complete(job: job.id, token: job.claimToken, result: sampleResult(0.9))
            try await client.execute(uri: "/api/artifacts/\(job.config.configHash)", method: .get, headers: Self.bearer(Self.worker)) { r in
                #expect(r.status == .ok && Array(r.body.readableBytesView) == good)
                #expect(r.headers[HTTPField.Name("X-Content-SHA256")!] == SHA256.hex(good), "the hash computed while streaming")
            }
        }
    }

    @Test func claimIsCheckedBeforeTheBodyIsRead() async throws {
        let (store, job) = try Self.claimedJob()
        // A body over the cap: a wrong (well-formed) claim is refused with 409 without reading it;
        // with the right claim the body is read and cut off at the cap (413).
        let oversized = ByteBuffer(repeating: 0x41, count: 5000)
        try await app(store, maxBytes: 4096).test(.router) { client in
            var headers = Self.bearer(Self.worker)
            headers[HTTPField.Name("X-Claim-Token")!] = String(repeating: "ab", count: 32)
            try await client.execute(uri: "/api/jobs/\(job.id)/artifact", method: .put, headers: headers, body: oversized) { r in
                #expect(r.status == .conflict, "\(r.status) \(Self.message(r))")
            }
            try await client.execute(uri: "/api/jobs/999/artifact", method: .put, headers: headers, body: oversized) { r in
                #expect(r.status == .notFound)
            }
            headers[HTTPField.Name("X-Claim-Token")!] = job.claimToken
            try await client.execute(uri: "/api/jobs/\(job.id)/artifact", method: .put, headers: headers, body: oversized) { r in
                #expect(r.status == .contentTooLarge, "\(r.status) \(Self.message(r))")
            }
        }
    }

    @Test func uploadsBeyondTheLimitGet503() async throws {
        let uploads = ArtifactUploads(limit: 1)
        let refused = try await uploads.withSlot {
            do { _ = try await uploads.withSlot { 0 }; return nil as APIError? } catch let e as APIError { return e }
        }
        #expect(refused?.code == .busy && refused?.status == .serviceUnavailable && refused?.headers[.retryAfter] == "5")
        // The slot is free again afterwards.
        #expect(try await uploads.withSlot { 7 } == 7)
    }

    @Test func adminDeletesAStoredModel() async throws {
        let (store, job) = try Self.claimedJob()
        try store.storeArtifact(job: job.id, token: job.claimToken, data: Data(try Self.model()))
        let uri = "/api/artifacts/\(job.config.configHash)"
        try await app(store).test(.router) { client in
            try await client.execute(uri: uri, method: .delete, headers: Self.bearer(Self.worker)) { r in
                #expect(r.status == .forbidden || r.status == .unauthorized, "workers cannot delete: \(r.status)")
            }
            try await client.execute(uri: uri, method: .delete, headers: Self.bearer(Self.admin)) { r in #expect(r.status == .ok) }
            try await client.execute(uri: uri, method: .get, headers: Self.bearer(Self.worker)) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: uri, method: .delete, headers: Self.bearer(Self.admin)) { r in #expect(r.status == .notFound) }
        }
    }
}
