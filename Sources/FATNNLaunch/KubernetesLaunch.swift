import Foundation

/// `fatnn-coord launch k8s`: FATNN workers as a Kubernetes Indexed Job, and the worker token as a
/// Secret mounted read-only into every pod (never in the pod spec or its arguments).
///
/// Each pod runs `fatnn-worker --exit-when-idle` and completes its index once no job is queued or
/// running. Deleting the Job (or draining a node) sends SIGTERM: the worker gives its running job
/// back at the next epoch boundary, within `terminationGracePeriodSeconds`.
public struct KubernetesLaunch: Sendable, Equatable {
    /// Pods (workers), all running at once: 1...1000.
    public var workers: Int
    /// The worker image (see the Containerfile in scripts/container).
    public var image: String
    /// CPU of each pod (a Kubernetes quantity: "2", "500m"): its request and limit; the worker
    /// runs the limit, rounded up, as engine threads.
    public var cpu = "1"
    /// Memory of each pod, request and limit (a quantity: "2Gi").
    public var memory = "2Gi"
    public var name = "fatnn-workers"
    public var namespace: String?
    /// Seconds between SIGTERM and SIGKILL: longer than one epoch, so the job is given back.
    public var graceSeconds = 300
    /// Pod failures tolerated before the Job fails.
    public var backoffLimit = 6
    /// The user (and group, and `fsGroup`) the pods run as: the image's `fatnn` user. The token
    /// file is group-readable by it (a Secret's files are owned by root).
    public var uid = 10001
    public var worker: WorkerLaunch

    public init(workers: Int, image: String, worker: WorkerLaunch) {
        self.workers = workers
        self.image = image
        self.worker = worker
    }

    /// Where the pods mount the token Secret and their scratch space.
    public static let tokenDirectory = "/var/run/secrets/fatnn"
    public static let cacheDirectory = "/var/cache/fatnn"

    static var labelPattern: Regex<Substring> { #/[a-z0-9](?:[-a-z0-9]{0,50}[a-z0-9])?/# }
    static var quantityPattern: Regex<Substring> { #/[0-9]+(?:\.[0-9]+)?(?:m|k|M|G|T|Ki|Mi|Gi|Ti)?/# }
    static var imagePattern: Regex<Substring> { #/[A-Za-z0-9][A-Za-z0-9._\/:@+-]{0,254}/# }

    /// The Secret, then the Job.
    ///
    /// - Throws: ``LaunchError`` naming the option that is not a valid Kubernetes value, or any
    ///   problem of ``WorkerLaunch/checked()``.
    public func manifests() throws(LaunchError) -> [YAMLNode] {
        try check()
        let (w, token) = try worker.checked()
        let secretName = name + "-token"
        var meta: [(String, YAMLNode)] = [("name", .string(name))]
        if let namespace { meta.append(("namespace", .string(namespace))) }
        let labels: YAMLNode = .map([("app.kubernetes.io/name", .string("fatnn-worker")), ("app.kubernetes.io/instance", .string(name))])
        var secretMeta: [(String, YAMLNode)] = [("name", .string(secretName))]
        if let namespace { secretMeta.append(("namespace", .string(namespace))) }
        secretMeta.append(("labels", labels))
        var data: [(String, YAMLNode)] = [("token", .string(Data(token.utf8).base64EncodedString()))]
        if let ca = w.caFile { data.append(("ca.pem", .string(try Self.readCA(ca).base64EncodedString()))) }
        let secret: YAMLNode = .map([
            ("apiVersion", .string("v1")), ("kind", .string("Secret")), ("metadata", .map(secretMeta)),
            ("type", .string("Opaque")), ("data", .map(data)),
        ])
        var args = ["--coordinator", w.coordinator, "--token-file", Self.tokenDirectory + "/token", "--exit-when-idle",
                    "--name", "$(POD_NAME)", "--threads", "$(FATNN_THREADS)",
                    "--dataset-cache-dir", Self.cacheDirectory + "/datasets", "--checkpoint-dir", Self.cacheDirectory + "/checkpoints",
                    "--spool-dir", Self.cacheDirectory + "/spool"]
        let mounts: [YAMLNode] = [
            .map([("name", .string("token")), ("mountPath", .string(Self.tokenDirectory)), ("readOnly", .bool(true))]),
            .map([("name", .string("cache")), ("mountPath", .string(Self.cacheDirectory))]),
            .map([("name", .string("tmp")), ("mountPath", .string("/tmp"))]),
        ]
        let volumes: [YAMLNode] = [
            .map([("name", .string("token")), ("secret", .map([("secretName", .string(secretName)), ("defaultMode", .int(0o440))]))]),
            .map([("name", .string("cache")), ("emptyDir", .map([]))]),
            .map([("name", .string("tmp")), ("emptyDir", .map([]))]),
        ]
        // The CA travels in the token's Secret (it is public; one object keeps the launch simple).
        if w.caFile != nil { args += ["--ca-file", Self.tokenDirectory + "/ca.pem"] }
        args += w.workerArguments
        let resources: YAMLNode = .map([("cpu", .string(cpu)), ("memory", .string(memory))])
        let container: YAMLNode = .map([
            ("name", .string("worker")), ("image", .string(image)),
            ("command", .list([.string("fatnn-worker")])),
            ("args", .list(args.map(YAMLNode.string))),
            ("env", .list([
                .map([("name", .string("POD_NAME")), ("valueFrom", .map([("fieldRef", .map([("fieldPath", .string("metadata.name"))]))]))]),
                .map([("name", .string("FATNN_THREADS")), ("valueFrom", .map([("resourceFieldRef", .map([
                    ("containerName", .string("worker")), ("resource", .string("limits.cpu")), ("divisor", .string("1")),
                ]))]))]),
            ])),
            ("resources", .map([("requests", resources), ("limits", resources)])),
            ("securityContext", .map([("runAsNonRoot", .bool(true)), ("allowPrivilegeEscalation", .bool(false)),
                                      ("readOnlyRootFilesystem", .bool(true)), ("capabilities", .map([("drop", .list([.string("ALL")]))]))])),
            ("volumeMounts", .list(mounts)),
        ])
        let job: YAMLNode = .map([
            ("apiVersion", .string("batch/v1")), ("kind", .string("Job")),
            ("metadata", .map(meta + [("labels", labels)])),
            ("spec", .map([
                ("completionMode", .string("Indexed")),
                ("completions", .int(workers)), ("parallelism", .int(workers)),
                ("backoffLimit", .int(backoffLimit)),
                ("template", .map([
                    ("metadata", .map([("labels", labels)])),
                    ("spec", .map([
                        ("restartPolicy", .string("OnFailure")),
                        ("terminationGracePeriodSeconds", .int(graceSeconds)),
                        ("automountServiceAccountToken", .bool(false)),
                        ("securityContext", .map([("runAsUser", .int(uid)), ("runAsGroup", .int(uid)), ("fsGroup", .int(uid)),
                                                  ("runAsNonRoot", .bool(true))])),
                        ("containers", .list([container])),
                        ("volumes", .list(volumes)),
                    ])),
                ])),
            ])),
        ])
        return [secret, job]
    }

    /// A PEM file of at most 64 KiB.
    static func readCA(_ path: String) throws(LaunchError) -> Data {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, size <= 65536,
              let data = FileManager.default.contents(atPath: path) else {
            throw LaunchError("--ca-file", "\(path): not a readable file of at most 64 KiB")
        }
        guard String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            throw LaunchError("--ca-file", "\(path): no PEM certificate in it")
        }
        return data
    }

    func check() throws(LaunchError) {
        guard (1...1000).contains(workers) else { throw LaunchError("--workers", "\(workers): give 1...1000") }
        guard (1...86400).contains(graceSeconds) else { throw LaunchError("--grace-seconds", "\(graceSeconds): give 1...86400") }
        guard (0...1000).contains(backoffLimit) else { throw LaunchError("--backoff-limit", "\(backoffLimit): give 0...1000") }
        guard (1...2_147_483_647).contains(uid) else { throw LaunchError("--uid", "\(uid): give a non-root user id (1...2147483647)") }
        guard name.wholeMatch(of: Self.labelPattern) != nil else {
            throw LaunchError("--name", "'\(name)': a DNS label of at most 52 lowercase letters, digits or '-' (Kubernetes adds pod suffixes)")
        }
        if let namespace, namespace.wholeMatch(of: Self.labelPattern) == nil {
            throw LaunchError("--namespace", "'\(namespace)': a DNS label of lowercase letters, digits or '-'")
        }
        guard image.wholeMatch(of: Self.imagePattern) != nil else { throw LaunchError("--image", "'\(image)' is not an image reference (REGISTRY/NAME:TAG)") }
        guard cpu.wholeMatch(of: Self.quantityPattern) != nil, cpu != "0", cpu != "0m" else {
            throw LaunchError("--cpu", "'\(cpu)' is not a positive Kubernetes quantity (2, 1.5, 500m)")
        }
        guard memory.wholeMatch(of: Self.quantityPattern) != nil else { throw LaunchError("--memory", "'\(memory)' is not a Kubernetes quantity (2Gi, 512Mi)") }
    }
}
