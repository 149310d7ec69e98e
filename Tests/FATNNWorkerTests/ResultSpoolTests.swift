import FATNNJobs
@testable import FATNNWorker
import Foundation
import Testing

/// The worker's spool: a report survives until acknowledged, is kept per coordinator, and a
/// refused or unreadable one is moved aside with its reason, never dropped.
@Suite struct ResultSpoolTests {
    static func folder() -> String { NSTemporaryDirectory() + "fatnn-spool-" + UUID().uuidString }
    static let token = String(repeating: "c", count: 64)

    @Test func entriesWaitUntilRemovedAndStayWithTheirCoordinator() throws {
        let spool = try ResultSpool(directory: Self.folder())
        let a = try spool.save(SpoolEntry(coordinator: "http://a", job: 7, attempt: 2, claimToken: Self.token, error: "boom"), model: nil)
        _ = try spool.save(SpoolEntry(coordinator: "http://b", job: 3, attempt: 1, claimToken: Self.token, error: "x"), model: Data("m".utf8))
        #expect(a == "job-7-a2")
        let forA = spool.pending(for: "http://a")
        #expect(forA.map(\.entry.job) == [7] && forA[0].entry.error == "boom" && forA[0].model == nil)
        let forB = spool.pending(for: "http://b")
        #expect(forB.map(\.entry.job) == [3] && forB[0].model == Data("m".utf8))
        spool.remove(a)
        #expect(spool.pending(for: "http://a").isEmpty && spool.pending(for: "http://b").count == 1)
    }

    @Test func refusedAndUnreadableEntriesAreMovedAsideWithTheirReason() throws {
        let dir = Self.folder()
        let spool = try ResultSpool(directory: dir)
        let name = try spool.save(SpoolEntry(coordinator: "c", job: 1, attempt: 1, claimToken: Self.token, error: "e"), model: Data("m".utf8))
        spool.reject(name, reason: "refused: invalid_model")
        #expect(spool.pending(for: "c").isEmpty)
        #expect(FileManager.default.fileExists(atPath: dir + "/rejected/\(name).json") && FileManager.default.fileExists(atPath: dir + "/rejected/\(name).model"))
        #expect(String(decoding: FileManager.default.contents(atPath: dir + "/rejected/\(name).reason") ?? Data(), as: UTF8.self) == "refused: invalid_model\n")
        // A corrupt entry and one naming a model outside the spool are moved aside on reading.
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: dir + "/job-2-a1.json"))
        try Data(#"{"coordinator":"c","job":3,"attempt":1,"claimToken":"t","error":"e","modelFile":"../x"}"#.utf8)
            .write(to: URL(fileURLWithPath: dir + "/job-3-a1.json"))
        #expect(spool.pending(for: "c").isEmpty)
        for n in ["job-2-a1", "job-3-a1"] { #expect(FileManager.default.fileExists(atPath: dir + "/rejected/\(n).reason"), "\(n)") }
    }
}
