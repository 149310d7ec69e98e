#!/usr/bin/env bash
# The engine on two x86-64 CPU classes this machine is not, under qemu-x86_64 (user-mode
# emulation, which has no AVX-512: an AVX-512 instruction reached outside an AVX-512 path stops
# the program with SIGILL, as it would on such a CPU):
#   avx2    qemu -cpu EPYC-Rome  AMD Zen 2: AVX2 and FMA, no AVX-512 (most machines, issue 20);
#   scalar  qemu -cpu Nehalem    x86-64 with SSE4.2, no AVX.
# On each, with the fatnn binary of the build configuration given (built before, default debug):
#   1. the paths the engine picks by itself: `fatnn bench inference --json` names the packed
#      kernels' path and the float engine's (avx2 on the first class, scalar and OpenBLAS on the
#      second);
#   2. every packed resnet20 (7: every quantizer kind, and fatnn and tnn on the 4-popcount
#      kernel: 3x3 convs of stride 1 and 2, 1x1 shortcuts, residual joins, the tree kernels)
#      checked bit for bit against its training-time network on 3 random images, one batch
#      (`fatnn bench inference`, which stops with an error on any code or logit bit that differs;
#      then it runs batches of 1 and 3 once each, unchecked);
#   3. one epoch of cnn-s with the fatnn quantizer on a cut of Fashion-MNIST (`fatnn train`, 32
#      training and 16 test images): its model file must equal, byte for byte, the one this
#      machine writes with the same paths forced (FATNN_FLOAT_PATH, FATNN_KERNEL_PATH and
#      OPENBLAS_CORETYPE, the OpenBLAS kernel the emulated CPU gets).
# Emulation runs about 70 times slower than the machine, so the runs are small.
#
#   scripts/test_cpu_classes.sh [--full] [--config debug|release]
#     --full   also the engine's test suites (FATNNEngineTests, built by swift build --build-tests)
#              under each class, but QuantizedTrainingTests (real-data training of every kind, not
#              done in 25 minutes under emulation): about 10 minutes for the AVX2 class and 20 for
#              the scalar one on 2 cores (the CI runs the short form, about 30 s, from scripts/test.sh)
#   FATNN_BIN=.build-release/release/fatnn scripts/test_cpu_classes.sh   # another build's fatnn
#      (and, with --full, the FATNNPackageTests.xctest beside it)
# The emulated runs see none of FATNN_FLOAT_PATH, FATNN_KERNEL_PATH, FATNN_CONV and
# OPENBLAS_CORETYPE, so the paths they report are the engine's own choice.
# Needs qemu-user (scripts/setup.sh --qemu), python3 and the Debian package dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
config=debug
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    --config) config=${2:-}; [ $# -gt 1 ] && shift ;;
    *) echo "test_cpu_classes: unknown argument '$1' (usage: scripts/test_cpu_classes.sh [--full] [--config debug|release])" >&2; exit 2 ;;
  esac
  shift
done
[[ "$config" == debug || "$config" == release ]] || { echo "test_cpu_classes: --config must be debug or release, got '$config'" >&2; exit 2; }
if [ "$(uname -m)" != x86_64 ]; then
  echo "test_cpu_classes: x86-64 CPU classes are emulated on x86-64 hosts only; skipped on $(uname -m)" >&2
  exit 0
fi
command -v qemu-x86_64 >/dev/null || { echo "test_cpu_classes: qemu-x86_64 is missing (scripts/setup.sh --qemu installs qemu-user)" >&2; exit 1; }
# SwiftPM's link to the configuration's products (not `swift build --show-bin-path`, which waits
# for the build folder's lock while scripts/test.sh runs swift test beside this script).
fatnn=${FATNN_BIN:-.build/$config/fatnn}
[[ "$fatnn" == /* ]] || fatnn=$PWD/$fatnn
[ -x "$fatnn" ] || { echo "test_cpu_classes: $fatnn is missing; build first (swift build -c $config)" >&2; exit 1; }
data=/usr/share/datasets/fashion-mnist
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "test_cpu_classes: $data has no Fashion-MNIST (scripts/setup.sh installs dataset-fashion-mnist)" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The first images of each split, as IDX files whose headers count them.
python3 - "$data" "$out/data" <<'EOF'
import gzip, os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
for name, n in [("train-images-idx3-ubyte", 32), ("train-labels-idx1-ubyte", 32),
                ("t10k-images-idx3-ubyte", 16), ("t10k-labels-idx1-ubyte", 16)]:
    b = gzip.open(f"{src}/{name}.gz").read()
    dims = b[3]
    shape = list(struct.unpack(">" + "I" * dims, b[4:4 + 4 * dims]))
    per = 1
    for d in shape[1:]:
        per *= d
    start = 4 + 4 * dims
    with open(f"{dst}/{name}", "wb") as f:
        f.write(b[:4] + struct.pack(">" + "I" * dims, n, *shape[1:]) + b[start:start + n * per])
EOF

fail() { echo "test_cpu_classes: $*" >&2; exit 1; }
train=(train --model cnn-s --epochs 1 --batch-size 16 --quantizer fatnn --seed 5 --threads 2 --data-dir "$out/data")

# class, qemu CPU model, expected packed path, expected float path, OpenBLAS core type
for spec in "avx2 EPYC-Rome avx2 avx2 Zen" "scalar Nehalem scalar openblas Nehalem"; do
  read -r class model packed float core <<<"$spec"
  emu=(env -u FATNN_FLOAT_PATH -u FATNN_KERNEL_PATH -u FATNN_CONV -u OPENBLAS_CORETYPE qemu-x86_64 -cpu "$model")
  start=$SECONDS
  # TCG warns about CPUID features it does not emulate; those lines are dropped from what is shown.
  "${emu[@]}" "$fatnn" bench inference --model resnet20 --batch 1,3 --seconds 0.001 --check-images 3 --threads 2 --json \
    > "$out/$class.json" 2> "$out/$class-bench.err" \
    || { grep -v "TCG doesn't support" "$out/$class-bench.err" >&2; fail "$class ($model): fatnn bench inference failed (above)"; }
  python3 - "$out/$class.json" "$packed" "$float" "$class" <<'EOF' || fail "$class ($model): wrong paths or an inexact network (above)"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
packed, float_path, cls = sys.argv[2], sys.argv[3], sys.argv[4]
kinds = {r["network"] for r in rows if r["network"] != "fp"}
bad = [r for r in rows if (r["network"] == "fp" and r["path"] != float_path)
       or (r["network"] != "fp" and (r["path"] != packed or r["exact"] is not True))]
if len(kinds) != 7 or len(rows) != 16 or bad:
    print(f"expected fp and 7 packed networks x 2 batches, packed on {packed}, exact, fp on {float_path}; got:", *rows, sep="\n", file=sys.stderr)
    sys.exit(1)
print(f"test_cpu_classes: {cls}: {len(kinds)} packed resnet20s bit-exact on 3 images on the {packed} path; float engine on {float_path}")
EOF
  "${emu[@]}" "$fatnn" "${train[@]}" --output "$out/$class-emulated.fatnn" > "$out/$class-train.log" 2>&1 \
    || { grep -v "TCG doesn't support" "$out/$class-train.log" >&2; fail "$class ($model): fatnn train failed (above)"; }
  float_env=$float; [ "$float" = openblas ] && float_env=scalar
  OPENBLAS_CORETYPE=$core FATNN_FLOAT_PATH=$float_env FATNN_KERNEL_PATH=$packed \
    "$fatnn" "${train[@]}" --output "$out/$class-native.fatnn" > "$out/$class-native.log" 2>&1 \
    || { cat "$out/$class-native.log" >&2; fail "$class: the native training run failed (above)"; }
  cmp -s "$out/$class-emulated.fatnn" "$out/$class-native.fatnn" \
    || fail "$class ($model): the model trained under emulation differs from this machine's with FATNN_FLOAT_PATH=$float_env FATNN_KERNEL_PATH=$packed OPENBLAS_CORETYPE=$core"
  echo "test_cpu_classes: $class: one cnn-s epoch trained under $model wrote the same model file as this machine on the same paths ($(( SECONDS - start )) s for the class)"
  if [ "$full" = 1 ]; then
    tests=$(dirname "$fatnn")/FATNNPackageTests.xctest
    [ -x "$tests" ] || fail "$tests is missing; build the tests first (swift build -c $config --build-tests)"
    echo "test_cpu_classes: $class: the engine's test suite under $model (long)"
    "${emu[@]}" "$tests" --testing-library swift-testing --filter FATNNEngineTests --skip QuantizedTrainingTests \
      > "$out/$class-tests.log" 2>&1 \
      || { grep -v "TCG doesn't support" "$out/$class-tests.log" | grep -E '✘|error|Signal|signal' | head -40 >&2; fail "$class ($model): the engine's tests failed"; }
    grep -E 'Test run with' "$out/$class-tests.log" | sed "s/^/test_cpu_classes: $class: /"
  fi
done
