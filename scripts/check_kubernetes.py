#!/usr/bin/env python3
"""Validates the manifests of `fatnn-coord launch k8s` against the Kubernetes v1.32 JSON Schemas.

    scripts/check_kubernetes.py FATNN_COORD     generate manifests with that binary (several
                                                option sets) and validate them
    scripts/check_kubernetes.py FILE.yaml...    validate YAML files (a Secret and a Job each)

The schemas (Tests/FATNNLaunchTests/Fixtures/kubernetes-v1.32: batch/v1 Job and v1 Secret in
their strict form, which refuses unknown fields, and the definitions they reach) come from the
Kubernetes OpenAPI spec as packaged by kubernetes-validate 1.37.0 (PyPI, Apache-2.0). Before the
real manifests, a few broken copies (an unknown field, a string count, a container without a
name) must fail, so that the check cannot pass by accepting everything. `kubectl apply
--dry-run=client` needs an API server for discovery, so it is not used (no cluster here).

Tooling only: needs PyYAML and jsonschema (with referencing); without them it prints a note and
exits 0. Exits 1 on any problem.
"""
import copy
import json
import os
import stat
import subprocess
import sys
import tempfile

try:
    import yaml
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
except ImportError as e:
    print(f"kubernetes manifests: skipped ({e.name} is not installed; pip install pyyaml jsonschema)")
    sys.exit(0)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMAS = os.path.join(ROOT, "Tests/FATNNLaunchTests/Fixtures/kubernetes-v1.32")


def load(name):
    with open(os.path.join(SCHEMAS, name), encoding="utf-8") as f:
        return json.load(f)


definitions = load("_definitions.json")
registry = Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))
validators = {kind: Draft202012Validator(load(file), registry=registry)
              for kind, file in [("Job", "job-batch-v1.json"), ("Secret", "secret-v1.json")]}


def problems(doc):
    kind = doc.get("kind") if isinstance(doc, dict) else None
    if kind not in validators:
        return [f"kind {kind!r}: expected Job or Secret"]
    return [f"{kind} {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validators[kind].iter_errors(doc)]


def check_text(text, label):
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    kinds = sorted(d.get("kind", "?") for d in docs)
    found = [f"{label}: {p}" for d in docs for p in problems(d)]
    if kinds != ["Job", "Secret"]:
        found.append(f"{label}: expected one Secret and one Job, got {kinds}")
    return docs, found


def self_test(job):
    """Broken copies of a good Job must fail."""
    c = lambda: copy.deepcopy(job)
    broken = []
    j = c(); j["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"; broken.append(("unknown field", j))
    j = c(); j["spec"]["completions"] = "two"; broken.append(("string completions", j))
    j = c(); del j["spec"]["template"]["spec"]["containers"][0]["name"]; broken.append(("container without a name", j))
    j = c(); j["spec"]["template"]["spec"]["volumes"][0]["secret"]["defaultMode"] = "0400"; broken.append(("string mode", j))
    return [f"self-test: a Job with {what} passed the schema" for what, doc in broken if not problems(doc)]


def generate(binary):
    out = []
    with tempfile.TemporaryDirectory() as d:
        token = os.path.join(d, "worker.token")
        with open(token, "w") as f:
            f.write("0123456789abcdef" * 4 + "\n")
        os.chmod(token, stat.S_IRUSR | stat.S_IWUSR)
        ca = os.path.join(d, "ca.pem")
        with open(ca, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        base = [binary, "launch", "k8s", "--coordinator", "https://coord.example:8470", "--token-file", token]
        for extra in (["--workers", "1", "--image", "fatnn-worker:dev"],
                      ["--workers", "64", "--image", "registry.example/lab/fatnn-worker:1.2", "--cpu", "1500m", "--memory", "6Gi",
                       "--namespace", "ml", "--name", "sweep-7", "--grace-seconds", "900", "--backoff-limit", "0", "--uid", "2000",
                       "--ca-file", ca, "--", "--concurrency", "2", "--poll-seconds", "5"]):
            r = subprocess.run(base + extra, capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                sys.exit(f"kubernetes manifests: {' '.join(extra)}: exit {r.returncode}: {r.stderr.strip()}")
            out.append((" ".join(extra[:4]), r.stdout))
    return out


def main(args):
    if not args:
        sys.exit(__doc__)
    if len(args) == 1 and os.access(args[0], os.X_OK) and not args[0].endswith((".yaml", ".yml")):
        texts = generate(args[0])
    else:
        texts = [(p, open(p, encoding="utf-8").read()) for p in args]
    found = []
    for label, text in texts:
        docs, p = check_text(text, label)
        found += p
        found += self_test(next(d for d in docs if d.get("kind") == "Job")) if any(d.get("kind") == "Job" for d in docs) else []
    for p in found:
        print("kubernetes manifests:", p, file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"kubernetes manifests: {len(texts)} launches valid against the batch/v1 Job and v1 Secret schemas of Kubernetes 1.32 (strict)")


main(sys.argv[1:])
