import FATNNLaunch
import Foundation
import Testing

@Suite struct SlurmLaunchTests {
    func slurm(_ t: TokenFolder, extra: [String] = []) -> SlurmLaunch {
        SlurmLaunch(workers: 4, logDirectory: "/shared/logs", workerBinary: "/opt/fatnn/bin/fatnn-worker", worker: t.launch(extra: extra))
    }

    @Test func theScriptIsAJobArrayOfWorkersThatExecTheWorker() throws {
        let t = try TokenFolder(); defer { t.remove() }
        var s = slurm(t, extra: ["--data-dir", "/scratch/data sets", "--concurrency", "2"])
        s.cpusPerTask = 8
        s.time = "2-00:00:00"
        s.partition = "cpu"
        s.account = "lab"
        let text = try s.script()
        let directives = text.split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }.map { String($0.dropFirst(8)) }
        #expect(directives == ["--job-name=fatnn-workers", "--array=0-3", "--ntasks=1", "--cpus-per-task=8",
                               "--output=/shared/logs/fatnn-worker-%A_%a.log", "--time=2-00:00:00", "--signal=B:TERM@120",
                               "--partition=cpu", "--account=lab"])
        #expect(text.hasPrefix("#!/bin/bash\n"))
        // The worker replaces the shell (Slurm's SIGTERM reaches it), named and sized by Slurm.
        #expect(text.contains("exec '/opt/fatnn/bin/fatnn-worker' \\\n  --coordinator 'http://coord.example:8470' \\\n"))
        #expect(text.contains("\"slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""))
        #expect(text.contains("--threads \"${SLURM_CPUS_PER_TASK:-8}\""))
        #expect(text.contains("--exit-when-idle"))
        #expect(text.contains("'--data-dir' '/scratch/data sets' '--concurrency' '2'\n"), "extra options are quoted as one word each")
        #expect(text.contains("--token-file '\(t.tokenFile)' \\\n"))
        #expect(!text.contains(t.token), "the token itself never goes into the script")
    }

    @Test func withoutATimeLimitThereIsNoEarlySignal() throws {
        let t = try TokenFolder(); defer { t.remove() }
        let text = try slurm(t).script()
        #expect(!text.contains("--time") && !text.contains("--signal"))
        var s = slurm(t)
        s.time = "90"
        s.stopSeconds = 0
        #expect(try s.script().contains("--time=90") && !(try s.script()).contains("--signal"))
    }

    /// The script run by bash (as a Slurm task would be) with a fake worker that prints its
    /// arguments: the worker gets exactly the intended arguments, hostile values as one word each.
    @Test func bashRunsTheWorkerWithExactlyTheseArguments() throws {
        let t = try TokenFolder(); defer { t.remove() }
        let fake = t.dir + "/fatnn-worker"
        try "#!/bin/sh\nprintf '%s\\n' \"$@\"\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let hostile = ["--data-dir", "/x'; touch \(t.dir)/pwned #", "--spool-dir", "$(touch \(t.dir)/pwned2) `id` \\ \"q\""]
        var s = SlurmLaunch(workers: 2, logDirectory: t.dir, workerBinary: fake, worker: t.launch("http://a:1,https://b:2", extra: hostile))
        s.cpusPerTask = 2
        let script = t.dir + "/w.sbatch"
        try s.script().write(toFile: script, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script]
        p.environment = ["PATH": "/usr/bin:/bin", "SLURM_ARRAY_JOB_ID": "77", "SLURM_ARRAY_TASK_ID": "1", "SLURM_CPUS_PER_TASK": "3"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let args = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(p.terminationStatus == 0)
        #expect(args == ["--coordinator", "http://a:1,https://b:2", "--token-file", t.tokenFile, "--exit-when-idle",
                         "--name", "slurm-77_1", "--threads", "3"] + hostile)
        #expect(!FileManager.default.fileExists(atPath: t.dir + "/pwned") && !FileManager.default.fileExists(atPath: t.dir + "/pwned2"))
    }

    @Test(arguments: [
        ("--workers", { @Sendable (s: inout SlurmLaunch) in s.workers = 0 }),
        ("--workers", { @Sendable (s: inout SlurmLaunch) in s.workers = 1001 }),
        ("--cpus-per-task", { @Sendable (s: inout SlurmLaunch) in s.cpusPerTask = 0 }),
        ("--time", { @Sendable (s: inout SlurmLaunch) in s.time = "1 hour" }),
        ("--time", { @Sendable (s: inout SlurmLaunch) in s.time = "10\n#SBATCH --uid=0" }),
        ("--partition", { @Sendable (s: inout SlurmLaunch) in s.partition = "cpu gpu" }),
        ("--account", { @Sendable (s: inout SlurmLaunch) in s.account = "" }),
        ("--job-name", { @Sendable (s: inout SlurmLaunch) in s.jobName = "a;b" }),
        ("--log-dir", { @Sendable (s: inout SlurmLaunch) in s.logDirectory = "logs" }),
        ("--log-dir", { @Sendable (s: inout SlurmLaunch) in s.logDirectory = "/my logs" }),
        ("--worker-binary", { @Sendable (s: inout SlurmLaunch) in s.workerBinary = "fatnn-worker" }),
        ("--stop-seconds", { @Sendable (s: inout SlurmLaunch) in s.stopSeconds = 70000 }),
        ("--coordinator", { @Sendable (s: inout SlurmLaunch) in s.worker.coordinator = "coord:8470" }),
        ("--coordinator", { @Sendable (s: inout SlurmLaunch) in s.worker.coordinator = "http://a:1,ftp://b" }),
        ("worker option --token", { @Sendable (s: inout SlurmLaunch) in s.worker.workerArguments = ["--token", "x"] }),
        ("worker option --threads", { @Sendable (s: inout SlurmLaunch) in s.worker.workerArguments = ["--threads=4"] }),
        ("--ca-file", { @Sendable (s: inout SlurmLaunch) in s.worker.caFile = "/no/such/ca.pem" }),
    ] as [(String, @Sendable (inout SlurmLaunch) -> Void)])
    func badOptionsAreRefusedNamingTheOption(option: String, change: @Sendable (inout SlurmLaunch) -> Void) throws {
        let t = try TokenFolder(); defer { t.remove() }
        var s = slurm(t)
        change(&s)
        #expect { try s.script() } throws: { ($0 as? LaunchError)?.field == option }
    }

    @Test func theTokenFileMustBeItsOwnersOnly() throws {
        let open = try TokenFolder(mode: 0o644); defer { open.remove() }
        #expect { try slurm(open).script() } throws: {
            let e = $0 as? LaunchError
            return e?.field == "--token-file" && e?.reason.contains("chmod 600") == true && e?.reason.contains("644") == true
        }
        let missing = WorkerLaunch(coordinator: "http://c:1", tokenFile: open.dir + "/none")
        #expect { try missing.checked() } throws: { ($0 as? LaunchError)?.field == "--token-file" }
        let empty = try TokenFolder(); defer { empty.remove() }
        try "\n".write(toFile: empty.tokenFile, atomically: true, encoding: .utf8)
        chmod(empty.tokenFile, 0o600)
        #expect { try slurm(empty).script() } throws: { ($0 as? LaunchError)?.reason.contains("empty") == true }
    }

    @Test func sbatchFailuresAreReportedWithItsMessage() throws {
        let t = try TokenFolder(); defer { t.remove() }
        let fake = t.dir + "/sbatch"
        try "#!/bin/sh\necho 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        #expect { try Sbatch.submit(script: "/x.sbatch", sbatch: fake) } throws: {
            ($0 as? LaunchError)?.reason.contains("invalid partition specified: nope") == true
        }
        try "#!/bin/sh\necho '4242;cluster'\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        #expect(try Sbatch.submit(script: "/x.sbatch", sbatch: fake) == "4242")
        #expect { try Sbatch.submit(script: "/x.sbatch", sbatch: t.dir + "/no-sbatch") } throws: {
            ($0 as? LaunchError)?.reason.contains("not on PATH") == true
        }
    }
}
