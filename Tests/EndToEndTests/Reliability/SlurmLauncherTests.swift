import FATNNClient
import FATNNJobs
import Foundation
import Testing

/// `fatnn-coord launch slurm --submit` against a real one-node Slurm (`scripts/slurm.sh`:
/// munged, slurmctld, slurmd from Debian's slurm-wlm): 2 workers as a job array run a sweep to its
/// leaderboard; `scancel` of the task running a job sends its worker SIGTERM, the worker gives the
/// job back, and the other task resumes it from the shared checkpoint folder and finishes.
@Suite(.serialized, .enabled(if: ProcessHarness.binDir != nil && slurmConf != nil,
                             "needs the built fatnn-coord and fatnn-worker and FATNN_TEST_SLURM (scripts/slurm.sh start DIR)"))
struct SlurmLauncherTests {
    @Test func aSweepThroughSbatchSurvivesScancel() async throws {
        let conf = try #require(slurmConf)
        let h = try ProcessHarness("slurm")
        defer { h.stopAll() }
        try await h.startCoordinator(lease: 10)
        _ = try await h.submit(name: "slurm", jobs: 2, epochs: 8, trainLimit: 1500)
        let c = try h.client()
        let script = h.dir + "/workers.sbatch", logs = h.dir + "/slurm-logs"
        let launch = try run(ProcessHarness.binDir! + "/fatnn-coord", [
            "launch", "slurm", "--workers", "2", "--cpus-per-task", "1", "--coordinator", h.url, "--token-file", h.workerTokenFile,
            "--log-dir", logs, "--script", script, "--job-name", "fatnn-test", "--submit",
            "--", "--poll-seconds", "0.2", "--checkpoint-dir", h.dir + "/ckpt", "--spool-dir", h.dir + "/spool", "--request-timeout", "10",
            "--fault-epoch-seconds", "0.5",
        ], conf: conf)
        #expect(launch.status == 0, "\(launch.output)")
        let array = try #require(launch.output.firstMatch(of: #/submitted Slurm job array ([0-9]+)/#).map { String($0.1) }, "\(launch.output)")
        defer { _ = try? run("scancel", [array], conf: conf) }
        let token = try String(contentsOfFile: h.workerTokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!(try String(contentsOfFile: script, encoding: .utf8)).contains(token), "the token is not in the script")

        // The first job, once it has run an epoch under a Slurm task: scancel that task.
        var victim = ""
        try await waitUntil("a Slurm task ran an epoch of job 1", timeout: 180) {
            guard let d = try? await c.job(1), d.epochs.count >= 1, let a = d.attempts.last, a.outcome == .running else { return false }
            victim = a.worker
            return true
        }
        let task = try #require(victim.firstMatch(of: #/^slurm-([0-9]+_[0-9]+)$/#).map { String($0.1) }, "worker name '\(victim)'")
        #expect(task.hasPrefix(array + "_"))
        #expect(try run("scancel", [task], conf: conf).status == 0)
        try await waitUntil("the cancelled task gave job 1 back", timeout: 60) {
            (try? await c.job(1))?.attempts.first?.outcome == .released
        }
        try await waitUntil("both jobs succeeded", timeout: 300) { ((try? await c.status())?.counts["succeeded"] ?? 0) == 2 }
        let d = try await c.job(1)
        #expect(d.attempts.map(\.outcome) == [.released, .ok], "\(d.attempts)")
        let finisher = try #require(d.attempts.last?.worker)
        #expect(finisher != victim && finisher.hasPrefix("slurm-\(array)_"), "another array task finished it: \(finisher)")
        #expect(try await c.leaderboard().filter { $0.testAccuracy != nil }.count == 2)

        let victimLog = (try? String(contentsOfFile: "\(logs)/fatnn-worker-\(task).log", encoding: .utf8)) ?? ""
        #expect(victimLog.contains("SIGTERM") && victimLog.contains("giving the job back"), "the task's worker got SIGTERM:\n\(victimLog.suffix(1500))")
        let finisherLog = (try? String(contentsOfFile: "\(logs)/fatnn-worker-\(finisher.dropFirst(6)).log", encoding: .utf8)) ?? ""
        #expect(finisherLog.contains("resuming after epoch"), "the other task resumed from the checkpoint:\n\(finisherLog.suffix(1500))")
        try await waitUntil("the array's tasks ended (--exit-when-idle)", timeout: 60) {
            (try? run("squeue", ["-h", "-j", array], conf: conf))?.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true
        }
    }

    /// Runs a program to its end (bounded by 60 s) with SLURM_CONF set; its status and output.
    func run(_ program: String, _ args: [String], conf: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
        p.arguments = program.hasPrefix("/") ? args : [program] + args
        var env = ProcessInfo.processInfo.environment
        env["SLURM_CONF"] = conf
        env["FATNN_CODE_COMMIT"] = "0000000000000000000000000000000000000000"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { p.terminate(); p.waitUntilExit() }
        return (p.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}

/// The slurm.conf of the test cluster (`scripts/test.sh` starts one with scripts/slurm.sh).
let slurmConf = ProcessInfo.processInfo.environment["FATNN_TEST_SLURM"].flatMap { $0.isEmpty ? nil : $0 }
