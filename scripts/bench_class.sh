#!/usr/bin/env bash
# Every figure of docs/BENCHMARKS.md's "by CPU class" tables, measured on this machine in one run,
# with the CPU it ran on: the packed kernels against SGEMM, packed inference of fatnn and the
# baselines against the float engine (whole network, and per conv shape with both sides held to
# AVX2 code), the float convolutions per shape, and, where PyTorch is installed, training and
# evaluation side by side with it (AVX-512 allowed and AVX2 code only).
#   scripts/bench_class.sh [OUT_DIR]        (default: run/bench-class-DATE-HOST; 10-20 minutes)
# Needs a release build (swift build -c release, or FATNN_BIN=path). THREADS (default 2) sets
# the engine's threads, SECONDS_PER_ROW (default 1) the kernels' and inference rows' minimum
# timing (bench conv and the per-shape table keep their own), ROUNDS
# (default 3) the PyTorch comparison's interleaved rounds; PYTHON as in compare_pytorch.sh (the
# comparison is skipped, and said so, without PyTorch). Writes one log per command into OUT_DIR
# (each starting with its command line) and cpu.txt; prints where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-run/bench-class-$(date +%Y%m%d-%H%M)-$(hostname -s)}
threads=${THREADS:-2}; seconds=${SECONDS_PER_ROW:-1}; rounds=${ROUNDS:-3}
fatnn=${FATNN_BIN:-.build/release/fatnn}
[ -x "$fatnn" ] || { echo "bench_class: no binary at $fatnn; build first: swift build -c release" >&2; exit 1; }
mkdir -p "$out"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  if rev=$(git rev-parse --short HEAD 2>/dev/null); then
    echo "code: $rev$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)')"
  else
    echo "code: unknown (not a git work tree)"
  fi
  grep -m1 'model name' /proc/cpuinfo || true
  echo "family $(grep -m1 'cpu family' /proc/cpuinfo | awk '{print $NF}') model $(grep -m1 '^model' /proc/cpuinfo | awk '{print $NF}')"
  echo "cores: $(nproc)"
  for f in avx2 fma avx512f avx512_vpopcntdq avx512_bitalg; do
    grep -qw "$f" /proc/cpuinfo && echo "flag $f: yes" || echo "flag $f: no"
  done
  echo "load before: $(cat /proc/loadavg)"
} > "$out/cpu.txt"
cat "$out/cpu.txt"
avx512=no; grep -qw avx512_vpopcntdq /proc/cpuinfo && avx512=yes

# run NAME ENV... -- ARGS...: the command line, then its output, into OUT_DIR/NAME.txt.
run() {
  local name=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  echo "== $name" >&2
  { echo "\$ ${envs[*]} fatnn $*"; env "${envs[@]}" "$fatnn" "$@" 2>&1; } > "$out/$name.txt" || echo "bench_class: $name failed (see $out/$name.txt)" >&2
}

run kernels -- bench kernels --threads "$threads" --shapes resnet20,large --path all \
  --kernel fatnn,tnn4,2bit,2bit-signed,fatnn-a2,binary,sgemm --batch 64 --seconds "$seconds"
run inference -- bench inference --threads "$threads" --batch 1,64 --quantizer fp,fatnn,fatnn4,lsq2 --seconds "$seconds"
run inference-avx2 OPENBLAS_CORETYPE=Haswell FATNN_FLOAT_PATH=avx2 -- bench inference --threads "$threads" --batch 1,64 \
  --paths avx2 --quantizer fp,fatnn,fatnn4,lsq2 --seconds "$seconds"
run per-shape-avx2 OPENBLAS_CORETYPE=Haswell FATNN_FLOAT_PATH=avx2 -- bench inference --threads "$threads" --batch 64 \
  --paths avx2 --quantizer fatnn,fatnn4,lsq2 --profile --seconds "$seconds"
[ "$avx512" = yes ] && run per-shape-avx512 -- bench inference --threads "$threads" --batch 64 --paths avx512 \
  --quantizer fatnn,fatnn4,lsq2 --profile --seconds "$seconds"
run conv -- bench conv --threads "$threads" --model cnn-s,resnet20
run conv-avx2 FATNN_FLOAT_PATH=avx2 -- bench conv --threads "$threads" --model resnet20

python=${PYTHON:-/tmp/torch-venv/bin/python}
if "$python" -c "import torch" 2>/dev/null; then
  for mode in default avx2; do
    for q in fp fatnn; do
      extra=(); [ "$q" = fatnn ] && extra=(--quantizer fatnn)
      name=pytorch-$mode-$q
      echo "== $name" >&2
      { echo "\$ $([ $mode = avx2 ] && echo 'AVX2_ONLY=1 ')scripts/compare_pytorch.sh $rounds $threads ${extra[*]}"
        if [ $mode = avx2 ]; then AVX2_ONLY=1 FATNN_BIN="$fatnn" scripts/compare_pytorch.sh "$rounds" "$threads" "${extra[@]}" 2>&1
        else FATNN_BIN="$fatnn" scripts/compare_pytorch.sh "$rounds" "$threads" "${extra[@]}" 2>&1; fi
      } | { grep -v -e 'Failed to initialize NumPy' -e '_conversion_method_template' || true; } > "$out/$name.txt" \
        || echo "bench_class: $name failed (see $out/$name.txt)" >&2
    done
  done
else
  echo "bench_class: no PyTorch at $python: the training comparison is skipped (see scripts/compare_pytorch.sh's header)" \
    | tee "$out/pytorch-skipped.txt" >&2
fi
echo "load after: $(cat /proc/loadavg)" >> "$out/cpu.txt"
echo "bench_class: logs in $out/ (one file per command); packed slower than float, per shape:"
grep -h "packed slower than float" "$out"/per-shape-*.txt || true
