import FATNNLaunch
import Foundation
import Testing

@Suite struct KubernetesLaunchTests {
    @Test func aSecretWithTheTokenAndAnIndexedJobThatMountsIt() throws {
        let t = try TokenFolder(); defer { t.remove() }
        var k = KubernetesLaunch(workers: 5, image: "registry.example/fatnn-worker:1.0", worker: t.launch(extra: ["--concurrency", "2"]))
        k.cpu = "1500m"
        k.namespace = "ml"
        let docs = try k.manifests()
        #expect(docs.count == 2)
        let secret = docs[0], job = docs[1]
        #expect(secret["kind"]?.string == "Secret" && secret["metadata", "name"]?.string == "fatnn-workers-token")
        #expect(secret["data", "token"]?.string.flatMap { Data(base64Encoded: $0) } == Data(t.token.utf8))
        #expect(job["kind"]?.string == "Job" && job["metadata", "namespace"]?.string == "ml")
        #expect(job["spec", "completionMode"]?.string == "Indexed")
        #expect(job["spec", "completions"]?.int == 5 && job["spec", "parallelism"]?.int == 5)
        #expect(job["spec", "backoffLimit"]?.int == 6)
        let pod = try #require(job["spec", "template", "spec"])
        #expect(pod["terminationGracePeriodSeconds"]?.int == 300)
        #expect(pod["volumes", 0, "secret", "secretName"]?.string == "fatnn-workers-token")
        // Secret files are root's: readable by the pod's group, which is its fsGroup.
        #expect(pod["volumes", 0, "secret", "defaultMode"]?.int == 0o440)
        #expect(pod["securityContext", "runAsUser"]?.int == 10001 && pod["securityContext", "fsGroup"]?.int == 10001
                && pod["securityContext", "runAsGroup"]?.int == 10001)
        let c = try #require(pod["containers", 0])
        #expect(c["resources", "limits", "cpu"]?.string == "1500m" && c["resources", "requests", "cpu"]?.string == "1500m")
        #expect(c["volumeMounts", 0, "mountPath"]?.string == KubernetesLaunch.tokenDirectory)
        guard case let .list(args)? = c["args"] else { Issue.record("no args"); return }
        let a = args.compactMap(\.string)
        #expect(a.starts(with: ["--coordinator", "http://coord.example:8470", "--token-file", "/var/run/secrets/fatnn/token", "--exit-when-idle"]))
        #expect(a.suffix(2) == ["--concurrency", "2"])
        #expect(!YAMLWriter.documents([job]).contains(t.token), "the token is only in the Secret")
        #expect(!YAMLWriter.documents([secret]).contains(t.token), "and there base64-encoded")
    }

    @Test(arguments: [
        ("--name", { @Sendable (k: inout KubernetesLaunch) in k.name = "FATNN" }),
        ("--name", { @Sendable (k: inout KubernetesLaunch) in k.name = String(repeating: "a", count: 60) }),
        ("--namespace", { @Sendable (k: inout KubernetesLaunch) in k.namespace = "-ml" }),
        ("--image", { @Sendable (k: inout KubernetesLaunch) in k.image = "" }),
        ("--image", { @Sendable (k: inout KubernetesLaunch) in k.image = "a b" }),
        ("--cpu", { @Sendable (k: inout KubernetesLaunch) in k.cpu = "0" }),
        ("--cpu", { @Sendable (k: inout KubernetesLaunch) in k.cpu = "two" }),
        ("--memory", { @Sendable (k: inout KubernetesLaunch) in k.memory = "2 GB" }),
        ("--grace-seconds", { @Sendable (k: inout KubernetesLaunch) in k.graceSeconds = 0 }),
        ("--workers", { @Sendable (k: inout KubernetesLaunch) in k.workers = 0 }),
        ("--uid", { @Sendable (k: inout KubernetesLaunch) in k.uid = 0 }),
    ] as [(String, @Sendable (inout KubernetesLaunch) -> Void)])
    func badOptionsAreRefusedNamingTheOption(option: String, change: @Sendable (inout KubernetesLaunch) -> Void) throws {
        let t = try TokenFolder(); defer { t.remove() }
        var k = KubernetesLaunch(workers: 2, image: "fatnn-worker:dev", worker: t.launch())
        change(&k)
        #expect { try k.manifests() } throws: { ($0 as? LaunchError)?.field == option }
    }

    @Test func yamlStringsAreAlwaysQuotedSoNothingChangesType() {
        let doc = YAMLNode.map([
            ("a", .string("0400")), ("b", .string("yes")), ("c", .string("line\n\"q\"\\")), ("d", .int(256)), ("e", .bool(false)),
            ("app.kubernetes.io/name", .list([.string("x"), .map([("k", .string("v")), ("l", .list([]))])])), ("on", .map([])),
        ])
        #expect(YAMLWriter.documents([doc]) == """
            ---
            a: "0400"
            b: "yes"
            c: "line\\n\\"q\\"\\\\"
            d: 256
            e: false
            app.kubernetes.io/name:
              - "x"
              - k: "v"
                l: []
            "on": {}

            """)
    }
}
