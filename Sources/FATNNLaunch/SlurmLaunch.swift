import Foundation

/// `fatnn-coord launch slurm`: FATNN workers as one Slurm job array, one `fatnn-worker
/// --exit-when-idle` per array task.
///
/// The script execs the worker, so that Slurm's signals reach it directly: `scancel` and the time
/// limit send SIGTERM (with `--signal=B:TERM@stopSeconds` before the limit), and the worker gives
/// its running job back at the next epoch boundary and exits 0. The token is read by the worker
/// from the token file; it never appears in the script or on a command line.
public struct SlurmLaunch: Sendable, Equatable {
    /// Array tasks (workers): 1...1000 (Slurm's default MaxArraySize is 1001).
    public var workers: Int
    /// CPUs of each task; the worker runs that many engine threads (`SLURM_CPUS_PER_TASK`).
    public var cpusPerTask = 1
    /// Time limit of each task in a Slurm format (`MINUTES`, `H:MM:SS`, `D-HH:MM`, …), or nil.
    public var time: String?
    public var partition: String?
    public var account: String?
    public var jobName = "fatnn-workers"
    /// Where each task's output goes (`fatnn-worker-JOBID_TASK.log`); absolute, no whitespace.
    public var logDirectory: String
    /// The `fatnn-worker` executable as the compute nodes see it (absolute).
    public var workerBinary: String
    /// With a time limit: SIGTERM this many seconds before it (0: only at the limit).
    public var stopSeconds = 120
    public var worker: WorkerLaunch

    public init(workers: Int, logDirectory: String, workerBinary: String, worker: WorkerLaunch) {
        self.workers = workers
        self.logDirectory = logDirectory
        self.workerBinary = workerBinary
        self.worker = worker
    }

    static var namePattern: Regex<Substring> { #/[A-Za-z0-9_.+-]{1,64}/# }
    static var timePattern: Regex<Substring> { #/[0-9]{1,6}(?::[0-9]{1,2}){0,2}|[0-9]{1,4}-[0-9]{1,2}(?::[0-9]{1,2}){0,2}/# }

    /// The sbatch script.
    ///
    /// - Throws: ``LaunchError`` naming the option that cannot go into a script, or any problem of
    ///   ``WorkerLaunch/checked()``.
    public func script(generatedAt: Date = Date()) throws(LaunchError) -> String {
        try check()
        let w = try worker.checked().launch
        var sbatch = [
            "--job-name=\(jobName)",
            "--array=0-\(workers - 1)",
            "--ntasks=1",
            "--cpus-per-task=\(cpusPerTask)",
            "--output=\(logDirectory)/fatnn-worker-%A_%a.log",
        ]
        if let time { sbatch.append("--time=\(time)") }
        if time != nil && stopSeconds > 0 { sbatch.append("--signal=B:TERM@\(stopSeconds)") }
        if let partition { sbatch.append("--partition=\(partition)") }
        if let account { sbatch.append("--account=\(account)") }
        // One line per option and its value.
        var lines = [[shellQuoted(workerBinary)], ["--coordinator", shellQuoted(w.coordinator)], ["--token-file", shellQuoted(w.tokenFile)]]
        if let ca = w.caFile { lines.append(["--ca-file", shellQuoted(ca)]) }
        lines += [["--exit-when-idle"], ["--name", "\"slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""],
                  ["--threads", "\"${SLURM_CPUS_PER_TASK:-\(cpusPerTask)}\""]]
        if !w.workerArguments.isEmpty { lines.append(w.workerArguments.map(shellQuoted)) }
        let command = lines.map { $0.joined(separator: " ") }
        let stamp = ISO8601DateFormatter().string(from: generatedAt)
        return """
            #!/bin/bash
            # FATNN workers as a Slurm job array: written by `fatnn-coord launch slurm` at \(stamp).
            # Submit: sbatch THIS_FILE. Each task runs one fatnn-worker until no job is queued or
            # running. scancel (or the time limit) sends SIGTERM: the worker gives its running job
            # back to the coordinator at the next epoch boundary and exits 0; another worker
            # resumes it. The worker token is read from its file, never passed as an argument.
            \(sbatch.map { "#SBATCH " + $0 }.joined(separator: "\n"))
            set -eu
            exec \(command.joined(separator: " \\\n  "))

            """
    }

    /// The scalar options, before anything is read.
    func check() throws(LaunchError) {
        guard (1...1000).contains(workers) else { throw LaunchError("--workers", "\(workers): give 1...1000 (one array task each)") }
        guard (1...256).contains(cpusPerTask) else { throw LaunchError("--cpus-per-task", "\(cpusPerTask): give 1...256") }
        guard (0...65535).contains(stopSeconds) else { throw LaunchError("--stop-seconds", "\(stopSeconds): give 0...65535") }
        if let time, time.wholeMatch(of: Self.timePattern) == nil {
            throw LaunchError("--time", "'\(time)' is not a Slurm time (MINUTES, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)")
        }
        for (option, value) in [("--partition", partition), ("--account", account), ("--job-name", Optional(jobName))] {
            if let value, value.wholeMatch(of: Self.namePattern) == nil {
                throw LaunchError(option, "'\(value)': use 1-64 letters, digits, '.', '_', '+' or '-'")
            }
        }
        for (option, path) in [("--log-dir", logDirectory), ("--worker-binary", workerBinary)] {
            guard path.hasPrefix("/") else { throw LaunchError(option, "'\(path)' must be an absolute path (compute nodes do not share this shell's directory)") }
            guard !path.contains(where: { $0.isWhitespace || $0 == "%" || $0 == "\"" || $0 == "'" || $0 == "\\" }) else {
                throw LaunchError(option, "'\(path)': no whitespace, quotes, '\\' or '%' (they do not survive an #SBATCH line)")
            }
        }
    }
}

/// Runs `sbatch` on a script and returns the job id it prints.
public enum Sbatch {
    /// `sbatch --parsable SCRIPT`, waited for at most `timeoutSeconds`.
    ///
    /// - Throws: ``LaunchError`` when sbatch is not on PATH, fails (its message included) or
    ///   prints no job id.
    public static func submit(script: String, sbatch: String = "sbatch", timeoutSeconds: Double = 60) throws(LaunchError) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [sbatch, "--parsable", script]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw LaunchError("--submit", "cannot run \(sbatch): \(error)") }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            throw LaunchError("--submit", "\(sbatch) did not answer in \(Int(timeoutSeconds)) s (is slurmctld up?)")
        }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard p.terminationStatus == 0 else {
            if p.terminationStatus == 127 { throw LaunchError("--submit", "\(sbatch) is not on PATH (is this a Slurm login node?)") }
            throw LaunchError("--submit", "\(sbatch) failed (exit \(p.terminationStatus)): \(stderr.isEmpty ? "no message" : stderr)")
        }
        // --parsable prints "JOBID" or "JOBID;CLUSTER".
        let id = stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else { throw LaunchError("--submit", "\(sbatch) printed no job id: '\(stdout)'") }
        return id
    }
}
