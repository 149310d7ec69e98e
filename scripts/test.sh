#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole test suite:
#   1. the JSON Schemas against the example sweeps, and `fatnn-coord launch k8s`'s manifests
#      against Kubernetes' Job and Secret schemas (both skipped without the Python packages
#      jsonschema and PyYAML), and the arm64 NEON kernels against the scalar oracle under
#      qemu-aarch64 (scripts/test_neon.sh);
#   2. the quickstart script itself, on the 2-job smoke sweep (Jobs/smoke.json) with debug binaries;
#   (setup also installs chromium, for the dashboard test in a headless browser, and the aarch64
#   cross compiler's libc and qemu-user, for the NEON check and the emulated x86-64 CPU classes)
#   3. swift test: units, the SQLite store and the PostgreSQL store (a throwaway server started by
#      scripts/postgres.sh, FATNN_TEST_POSTGRES), the engine on real Fashion-MNIST; beside it (much of
#      its time waits on PostgreSQL), on x86-64, the engine under two emulated CPU
#      classes, AVX2 without AVX-512 and x86-64 without AVX (scripts/test_cpu_classes.sh: the
#      paths picked, every packed network bit-exact, a training run byte-identical to this
#      machine's on the same paths); then the direct float convolution tests again on the scalar
#      and AVX-512 kernel paths (FATNN_FLOAT_PATH);
#   4. the end-to-end tests one suite at a time: sweeps over HTTP with in-process coordinators and
#      workers, the reliability tests (real coordinator and worker processes killed and stopped)
#      and the dashboard tests (a server and a headless browser), so that no compute-heavy test
#      competes with their timing (beside them, an in-process coordinator can miss its clients'
#      30 s deadlines on 2 cores); among them the Slurm launcher's test on a one-node Slurm
#      cluster started by scripts/slurm.sh (FATNN_TEST_SLURM; needs root, else skipped);
#   5. the fuzz targets for 30 s in all (scripts/fuzz.sh; long runs: scripts/fuzz.sh SECONDS).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --browser --arm64 --qemu --postgres --slurm
swift build --build-tests
python3 scripts/check_schemas.py
python3 scripts/check_kubernetes.py "$(swift build --show-bin-path)/fatnn-coord"
scripts/test_neon.sh
smoke=$(mktemp -d)
RUN_DIR=$smoke FATNN_CONFIG=debug WORKERS=2 scripts/quickstart.sh Jobs/smoke.json || { echo "test.sh: quickstart smoke run failed; logs in $smoke" >&2; exit 1; }
rm -rf "$smoke"
endToEnd='^EndToEndTests\.'
pg=$(mktemp -d); slurm=$(mktemp -d)
cpu_log=$(mktemp); cpu_pid=""
trap '[ -z "$cpu_pid" ] || kill -- "-$cpu_pid" 2>/dev/null || true; scripts/postgres.sh stop "$pg" >/dev/null 2>&1 || true; scripts/slurm.sh stop "$slurm" >/dev/null 2>&1 || true; rm -rf "$pg" "$slurm" "$cpu_log"' EXIT
export FATNN_TEST_POSTGRES FATNN_TEST_SLURM
if ! FATNN_TEST_POSTGRES=$(scripts/postgres.sh start "$pg"); then
  echo "test.sh: no PostgreSQL server (see above): the PostgreSQL store's tests are skipped" >&2
  FATNN_TEST_POSTGRES=""
fi
FATNN_TEST_SLURM=""
if [[ $(id -u) != 0 ]]; then
  echo "test.sh: not root: the Slurm launcher's test is skipped (scripts/slurm.sh starts slurmd, which runs jobs as their users)" >&2
else
  FATNN_TEST_SLURM=$(scripts/slurm.sh start "$slurm")
fi
# In a session of its own, so that the EXIT trap stops it and its qemu process together.
setsid scripts/test_cpu_classes.sh > "$cpu_log" 2>&1 &
cpu_pid=$!
# Built above: --skip-build saves SwiftPM's second look at the build graph (about 15 s a run).
swift test --disable-xctest --skip-build --skip "$endToEnd"
status=0; wait "$cpu_pid" || status=$?
cpu_pid=""
cat "$cpu_log"
[ "$status" = 0 ] || { echo "test.sh: the emulated CPU classes failed (above)" >&2; exit 1; }
# The direct float kernels' other CPU paths under Conv2d (the run above takes the default: AVX2,
# the tap kernel AVX-512 where the CPU has it; a path this CPU lacks falls back to the default).
for path in scalar avx2 avx512; do
  FATNN_FLOAT_PATH=$path swift test --disable-xctest --skip-build --filter 'FloatConvolutionTests|ConvolutionTests/convGradients'
done
swift test --disable-xctest --skip-build --no-parallel --filter "$endToEnd"
scripts/fuzz.sh 30
