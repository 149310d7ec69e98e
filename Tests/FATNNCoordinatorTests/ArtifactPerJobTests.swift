@testable import FATNNCoordinator
import FATNNJobs
import Foundation
import GRDB
import Testing

/// Models are kept per job (config hash and replica) and served only from the attempt whose
/// result was accepted (issue 19: replicas shared one slot, so a child could fine-tune from
/// another replica's model, or from an attempt whose result was refused).
@Suite struct ArtifactPerJobTests {
    private func stagedSweep() throws -> Sweep {
        try Sweep.parse(Data("""
            { "name": "staged", "base": { "model": "cnn-s", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 1, "learningRate": 0.1} },
              "seeds": [1], "stages": [ {"name": "fp"}, {"name": "q", "from": "fp", "grid": {"quantizer.kind": ["fatnn"]}} ] }
            """.utf8))
    }

    @Test func eachReplicaFineTunesFromItsOwnParent() throws {
        let store = try TestClock().store()
        #expect(try store.submit(try stagedSweep(), document: "{}", replicate: 2).added == 4)
        var parents: [Int: API.ClaimedJob] = [:]
        while let job = try store.claim(worker: "w", host: "h") {
            #expect(job.config.initFrom == nil, "children wait for their parents")
            parents[job.replica] = job
        }
        #expect(parents.keys.sorted() == [0, 1])
        // Replica 1 finishes first; replica 0's child must still wait for replica 0.
        let hash = parents[0]!.config.configHash
        for r in [1, 0] {
            let p = parents[r]!
            try store.storeArtifact(job: p.id, token: p.claimToken, data: Data("model of replica \(r)".utf8))
            try store.complete(job: p.id, token: p.claimToken, result: sampleResult(0.9))
            let child = try #require(try store.claim(worker: "w", host: "h"))
            #expect(child.replica == r, "only the child of the replica that finished can start")
            #expect(try store.artifact(configHash: hash, replica: child.replica)?.data == Data("model of replica \(r)".utf8))
        }
        #expect(try store.artifact(configHash: hash, replica: 7)?.data == Data("model of replica 0".utf8),
                "a replica the parent config lacks starts from its lowest replica")
    }

    @Test func version6MovesStoredModelsToTheirJobs() throws {
        let path = temporaryDatabase()
        var hash = ""
        do {
            let store = try JobStore(path: path, leaseSeconds: 60)
            _ = try store.submit(try stagedSweep(), document: "{}", replicate: 2)
            let parents = [try #require(try store.claim(worker: "w", host: "h")), try #require(try store.claim(worker: "w", host: "h"))]
            hash = parents[0].config.configHash
            for p in parents { try store.complete(job: p.id, token: p.claimToken, result: sampleResult(0.9)) }
            // Version 5 kept one model per config hash: the replica that uploaded last.
            try store.pool.write { db in
                try db.execute(sql: "INSERT INTO job_artifacts (job_id, attempt, accepted, sha256, size, data, created_at) VALUES (?, 1, 1, 'x', 9, ?, 0)",
                               arguments: [parents[1].id, Data("old model".utf8)])
            }
            // Back to the version-5 layout: one slot per config hash.
            try store.pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE artifacts (config_hash TEXT PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES jobs(id),
                                            sha256 TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL, created_at REAL NOT NULL);
                    INSERT INTO artifacts SELECT j.config_hash, a.job_id, a.sha256, a.size, a.data, a.created_at
                        FROM job_artifacts a JOIN jobs j ON j.id = a.job_id;
                    DROP TABLE job_artifacts;
                    DELETE FROM grdb_migrations WHERE identifier = 'v6';
                    """)
            }
        }
        let reopened = try JobStore(path: path, leaseSeconds: 60)
        for replica in [0, 1] {
            #expect(try reopened.artifact(configHash: hash, replica: replica)?.data == Data("old model".utf8),
                    "every succeeded replica keeps the shared model (replica \(replica))")
        }
        let children = [try reopened.claim(worker: "w", host: "h"), try reopened.claim(worker: "w", host: "h")]
        #expect(children.compactMap { $0?.config.initFrom } == [hash, hash], "neither child waits forever")
    }

    @Test func onlyTheAcceptedAttemptsModelIsServed() throws {
        let clock = TestClock()
        let store = try clock.store()
        _ = try store.submit(try stagedSweep(), document: "{}")
        let first = try #require(try store.claim(worker: "w1", host: "h"))
        let hash = first.config.configHash
        try store.storeArtifact(job: first.id, token: first.claimToken, data: Data("attempt 1".utf8))
        #expect(try store.artifact(configHash: hash) == nil, "not served before its result is accepted")
        clock.advance(61)  // attempt 1 is lost after uploading its model
        let second = try #require(try store.claim(worker: "w2", host: "h"))
        #expect(second.id == first.id && second.attempt == 2)
        // Attempt 2's result is accepted without a model of its own: attempt 1's is not served.
        try store.complete(job: second.id, token: second.claimToken, result: sampleResult(0.9))
        #expect(try store.artifact(configHash: hash) == nil)
        #expect(try store.claim(worker: "w3", host: "h") == nil, "the child waits for a model of the accepted attempt")
        // The accepted attempt's retried upload is served at once.
        try store.storeArtifact(job: second.id, token: second.claimToken, data: Data("attempt 2".utf8))
        #expect(try store.artifact(configHash: hash)?.data == Data("attempt 2".utf8))
        // From then on the same bytes may be resent, but no other model replaces it.
        try store.storeArtifact(job: second.id, token: second.claimToken, data: Data("attempt 2".utf8))
        #expect(throws: StoreError.notAllowed(second.id, .succeeded, "replace the accepted model of")) {
            try store.storeArtifact(job: second.id, token: second.claimToken, data: Data("something else".utf8))
        }
        #expect(try store.artifact(configHash: hash)?.data == Data("attempt 2".utf8))
        #expect(try store.claim(worker: "w3", host: "h")?.config.initFrom == hash)
    }
}
