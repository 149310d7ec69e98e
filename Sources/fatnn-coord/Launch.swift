import ArgumentParser
import FATNNLaunch
import Foundation

/// `fatnn-coord launch …`: start workers on a cluster scheduler.
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start workers through Slurm (an sbatch job array) or Kubernetes (an Indexed Job).",
        discussion: """
            Each worker runs 'fatnn-worker --exit-when-idle' and ends once no job is queued or \
            running. Give the coordinator's worker token file (DB.worker-token, mode 0600): the \
            token is read from it by the workers (Slurm) or put into a Secret (Kubernetes), never \
            onto a command line. Extra fatnn-worker options go after '--', e.g. \
            '-- --data-dir /scratch/datasets --concurrency 2'.
            """,
        subcommands: [LaunchSlurm.self, LaunchKubernetes.self])
}

/// The options every launcher shares.
struct LaunchWorkerOptions: ParsableArguments {
    @Option(help: "Workers to start (1...1000).")
    var workers: Int

    @Option(help: ArgumentHelp("Coordinator URL as the workers reach it (default $FATNN_COORDINATOR); several comma-separated for coordinators of one PostgreSQL store.", valueName: "url[,url…]"))
    var coordinator: String?

    @Option(help: ArgumentHelp("The worker token file, mode 0600 (fatnn-coord serve writes DB.worker-token; or 'fatnn-coord token create NAME --output FILE').", valueName: "file"))
    var tokenFile: String

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM CA the workers trust for an https coordinator (the ca.pem of 'fatnn-coord tls init').", valueName: "file"))
    var caFile: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("Extra fatnn-worker options, after '--'.", valueName: "worker-option"))
    var workerArguments: [String] = []

    /// - Parameter warn: print the loopback warning (once, from `run`, not from `validate`).
    func launch(warn: Bool = true) throws -> WorkerLaunch {
        guard let url = coordinator ?? ProcessInfo.processInfo.environment["FATNN_COORDINATOR"] else {
            throw ValidationError("--coordinator: give the coordinator's URL as the workers reach it (or set FATNN_COORDINATOR)")
        }
        let w = WorkerLaunch(coordinator: url, tokenFile: tokenFile, caFile: caFile, workerArguments: workerArguments)
        if warn && w.onlyLoopback {
            FileHandle.standardError.write(Data("warning: --coordinator \(url) is a loopback address: workers on other hosts cannot reach it\n".utf8))
        }
        return w
    }
}

/// A ``LaunchError`` in an option as the command-line parser's usage error.
func usage<T>(_ body: () throws(LaunchError) -> T) throws -> T {
    do { return try body() } catch { throw ValidationError(error.description) }
}

struct LaunchSlurm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write an sbatch job-array script of workers; --submit also submits it.",
        discussion: """
            One array task per worker, each with --cpus-per-task CPUs (the worker's engine \
            threads). Task output goes to LOG-DIR/fatnn-worker-JOBID_TASK.log; workers are named \
            slurm-JOBID_TASK in the coordinator. 'scancel JOBID' (or JOBID_TASK) and the time \
            limit send SIGTERM: the worker gives its running job back at the next epoch boundary \
            and exits 0, and another worker resumes it. With --time, SIGTERM comes --stop-seconds \
            before the limit (#SBATCH --signal); Slurm's KillWait (often 30 s) is what a worker \
            has after a scancel before SIGKILL, after which the job waits for its lease to expire.
            Paths must be the same on the compute nodes (a shared file system).
            """)

    @OptionGroup var common: LaunchWorkerOptions

    @Option(help: "CPUs per task (the worker's --threads).")
    var cpusPerTask = 1

    @Option(help: ArgumentHelp("Time limit per task: MINUTES, HH:MM:SS, D-HH:MM, …", valueName: "time"))
    var time: String?

    @Option(help: "Slurm partition.")
    var partition: String?

    @Option(help: "Slurm account.")
    var account: String?

    @Option(help: "Slurm job name.")
    var jobName = "fatnn-workers"

    @Option(help: ArgumentHelp("Folder of the tasks' logs (default: the current folder).", valueName: "dir"))
    var logDir: String?

    @Option(help: ArgumentHelp("fatnn-worker as the compute nodes see it (default: the one beside this fatnn-coord).", valueName: "path"))
    var workerBinary: String?

    @Option(help: "With --time: SIGTERM this many seconds before the limit (0: at the limit).")
    var stopSeconds = 120

    @Option(help: ArgumentHelp("Where to write the script.", valueName: "file"))
    var script = "fatnn-workers.sbatch"

    @Flag(help: "Submit the script with sbatch and print the job id.")
    var submit = false

    /// Bad values are usage errors of this subcommand (its usage is printed), before anything is written.
    func validate() throws {
        let launch = try makeLaunch(warn: false)
        _ = try usage { () throws(LaunchError) in try launch.script() }
    }

    func makeLaunch(warn: Bool) throws -> SlurmLaunch {
        var launch = SlurmLaunch(workers: common.workers, logDirectory: WorkerLaunch.absolute(logDir ?? FileManager.default.currentDirectoryPath),
                                 workerBinary: try workerBinary.map(WorkerLaunch.absolute) ?? Self.defaultWorkerBinary(), worker: try common.launch(warn: warn))
        launch.cpusPerTask = cpusPerTask
        launch.time = time
        launch.partition = partition
        launch.account = account
        launch.jobName = jobName
        launch.stopSeconds = stopSeconds
        return launch
    }

    func run() throws {
        let launch = try makeLaunch(warn: true)
        let text = try usage { () throws(LaunchError) in try launch.script() }
        if !FileManager.default.isExecutableFile(atPath: launch.workerBinary) {
            FileHandle.standardError.write(Data("warning: \(launch.workerBinary) is not an executable here; it must be on the compute nodes\n".utf8))
        }
        try? FileManager.default.createDirectory(atPath: launch.logDirectory, withIntermediateDirectories: true)
        do { try text.write(toFile: script, atomically: true, encoding: .utf8) } catch {
            throw ValidationError("--script \(script): cannot write it: \(error.localizedDescription)")
        }
        chmod(script, 0o755)
        guard submit else {
            print("wrote \(script) (\(launch.workers) workers); submit it with: sbatch \(script)")
            return
        }
        let id = try Sbatch.submit(script: WorkerLaunch.absolute(script))
        print("submitted Slurm job array \(id): \(launch.workers) workers; logs \(launch.logDirectory)/fatnn-worker-\(id)_*.log; stop them with: scancel \(id)")
    }

    /// The fatnn-worker beside this executable, else the one on PATH.
    static func defaultWorkerBinary() throws -> String {
        let here = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates = [here.appendingPathComponent("fatnn-worker").path]
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") { candidates.append(dir + "/fatnn-worker") }
        guard let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ValidationError("--worker-binary: no fatnn-worker beside fatnn-coord (\(here.path)) or on PATH: give its path on the compute nodes")
        }
        return found
    }
}

struct LaunchKubernetes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s",
        abstract: "Print a Secret (the worker token) and an Indexed Job of workers as YAML.",
        discussion: """
            Apply with: fatnn-coord launch k8s … | kubectl apply -f -  (the output holds the \
            token: keep it out of version control; --output writes a 0600 file). One pod per \
            worker, all at once; each requests and is limited to --cpu and --memory and runs the \
            CPU limit, rounded up, as engine threads. The token Secret is mounted read-only, \
            readable by the pod's group (--uid, also its fsGroup); \
            datasets, checkpoints and the result spool live in an emptyDir. Deleting the Job (or \
            draining a node) sends SIGTERM: the worker gives its job back within \
            --grace-seconds. Build the image with scripts/container/Containerfile (see README).
            """)

    @OptionGroup var common: LaunchWorkerOptions

    @Option(help: ArgumentHelp("The worker image (REGISTRY/NAME:TAG).", valueName: "image"))
    var image: String

    @Option(help: "CPU per pod, request and limit (a Kubernetes quantity: 2, 500m).")
    var cpu = "1"

    @Option(help: "Memory per pod, request and limit (2Gi, 512Mi).")
    var memory = "2Gi"

    @Option(help: "Name of the Job (the Secret is NAME-token).")
    var name = "fatnn-workers"

    @Option(help: "Namespace of both objects (default: kubectl's).")
    var namespace: String?

    @Option(help: "Seconds a pod has between SIGTERM and SIGKILL: give it more than one epoch.")
    var graceSeconds = 300

    @Option(help: "Pod failures tolerated before the Job fails.")
    var backoffLimit = 6

    @Option(help: "User, group and fsGroup of the pods (the image's fatnn user is 10001); the token file is readable by the group.")
    var uid = 10001

    @Option(help: ArgumentHelp("Write the YAML to this new file (mode 0600) instead of printing it.", valueName: "file"))
    var output: String?

    /// Bad values are usage errors of this subcommand (its usage is printed), before anything is printed.
    func validate() throws {
        let launch = try makeLaunch(warn: false)
        _ = try usage { () throws(LaunchError) in try launch.manifests() }
    }

    func makeLaunch(warn: Bool) throws -> KubernetesLaunch {
        var launch = KubernetesLaunch(workers: common.workers, image: image, worker: try common.launch(warn: warn))
        launch.cpu = cpu
        launch.memory = memory
        launch.name = name
        launch.namespace = namespace
        launch.graceSeconds = graceSeconds
        launch.backoffLimit = backoffLimit
        launch.uid = uid
        return launch
    }

    func run() throws {
        let launch = try makeLaunch(warn: true)
        let text = YAMLWriter.documents(try usage { () throws(LaunchError) in try launch.manifests() })
        guard let output else { print(text, terminator: ""); return }
        let fd = open(output, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw ValidationError("--output \(output): cannot create (it may exist): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw ValidationError("--output \(output): cannot write") }
        print("wrote \(output): Secret \(name)-token and Job \(name) (\(launch.workers) workers); apply with: kubectl apply -f \(output)")
    }
}
