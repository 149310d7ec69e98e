import FATNNJobs
import Foundation

/// A finished job's report kept on local disk until the coordinator acknowledges it, so that a
/// worker killed (or a coordinator down) between the end of training and the acknowledgement
/// loses nothing: the next worker started on this host sends it again.
struct SpoolEntry: Codable, Sendable {
    /// The coordinator the job came from (entries for other coordinators are left alone).
    var coordinator: String
    var job: Int64
    var attempt: Int
    var claimToken: String
    /// The result, or nil for a job error.
    var result: JobResult?
    /// The job error, when there is no result.
    var error: String?
    /// File name (in the spool) of the trained model, uploaded before the result.
    var modelFile: String?

    /// Why the entry cannot be sent as it is (a model file outside the spool, a result out of
    /// range, neither result nor error), or nil.
    var problem: String? {
        if let f = modelFile, f.isEmpty || f.contains("/") || f.hasPrefix(".") { return "modelFile '\(f)' is not a file of the spool" }
        if result == nil && error == nil { return "neither a result nor an error" }
        if let result { do { try result.validate() } catch { return "\(error)" } }
        return nil
    }
}

/// The spool directory: one `job-ID-aN.json` per unacknowledged report (written atomically)
/// and its `.model` file. Acknowledged entries are deleted; entries the coordinator refuses for
/// what they say (an error code that `refusesRequest`), and entries that cannot be read, are moved
/// to `rejected/` with the reason in `NAME.reason` and a log line, never silently dropped.
struct ResultSpool: Sendable {
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory + "/rejected", withIntermediateDirectories: true)
    }

    /// Writes `entry` (and `model`) durably; returns the entry's name.
    func save(_ entry: SpoolEntry, model: Data?) throws -> String {
        let name = "job-\(entry.job)-a\(entry.attempt)"
        var e = entry
        if let model {
            e.modelFile = name + ".model"
            try write(model, to: name + ".model")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try write(try encoder.encode(e), to: name + ".json")
        return name
    }

    /// Every entry for `coordinator`, oldest job first.
    func pending(for coordinator: String) -> [(name: String, entry: SpoolEntry, model: Data?)] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().compactMap { file in
            let name = String(file.dropLast(5))
            guard let data = FileManager.default.contents(atPath: path(file)) else { return nil }
            let entry: SpoolEntry
            do { entry = try JSONDecoder().decode(SpoolEntry.self, from: data) } catch {
                reject(name, reason: "\(path(file)): unreadable spool entry: \(error)")
                return nil
            }
            guard entry.coordinator == coordinator else { return nil }
            if let problem = entry.problem {
                reject(name, reason: "\(path(file)): \(problem)")
                return nil
            }
            let model = entry.modelFile.flatMap { FileManager.default.contents(atPath: path($0)) }
            return (name, entry, model)
        }
    }

    /// Deletes an acknowledged entry.
    func remove(_ name: String) {
        try? FileManager.default.removeItem(atPath: path(name + ".json"))
        try? FileManager.default.removeItem(atPath: path(name + ".model"))
    }

    /// Moves a refused entry to `rejected/`, with why it was refused in `rejected/NAME.reason`.
    func reject(_ name: String, reason: String) {
        try? Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: path("rejected/" + name + ".reason")), options: .atomic)
        for ext in [".json", ".model"] where FileManager.default.fileExists(atPath: path(name + ext)) {
            try? FileManager.default.removeItem(atPath: path("rejected/" + name + ext))
            try? FileManager.default.moveItem(atPath: path(name + ext), toPath: path("rejected/" + name + ext))
        }
    }

    private func path(_ file: String) -> String { (directory as NSString).appendingPathComponent(file) }

    /// Write to a temporary file, flush it to disk, then rename over the target.
    private func write(_ data: Data, to file: String) throws {
        let tmp = path(".\(file).tmp")
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: tmp])
        }
        if let h = FileHandle(forWritingAtPath: tmp) { try? h.synchronize(); try? h.close() }
        guard rename(tmp, path(file)) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path(file)])
        }
    }
}
