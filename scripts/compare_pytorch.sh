#!/usr/bin/env bash
# Side-by-side training and eval throughput: FATNN's engine against PyTorch on the same machine,
# same models, batch and thread count, interleaved so that both see the same machine state.
#   scripts/compare_pytorch.sh [ROUNDS] [THREADS] [extra fatnn bench train flags, e.g. --quantizer fatnn]
# Needs a release build and PyTorch in a virtualenv (tooling only, never a FATNN dependency):
#   python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch==2.15.0
# PYTHON selects the interpreter (default /tmp/torch-venv/bin/python), FATNN_BIN the binary
# (default .build/release/fatnn). Prints the median of the rounds for each framework, model and
# figure. AVX2_ONLY=1 measures the AVX2 class on an AVX-512 machine: both frameworks are held to
# AVX2 code (PyTorch: ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA, MKL_ENABLE_INSTRUCTIONS; FATNN:
# FATNN_KERNEL_PATH=avx2, FATNN_FLOAT_PATH=avx2; OpenBLAS: OPENBLAS_CORETYPE=Haswell). The core is still the AVX-512
# machine's (caches, ports), so this stands in for, and does not replace, a real AVX2-only CPU.
# PYTORCH_FORMAT=both (default) runs PyTorch in both memory layouts each round, channels_last
# ("pytorch nhwc", its faster one on the CPUs measured) and contiguous ("pytorch nchw", its
# default, which the results before 2026-12-06 (later) used); or just one of the two. Compare
# against the faster PyTorch row.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; threads=${2:-2}; shift $(( $# > 2 ? 2 : $# )) || true
python=${PYTHON:-/tmp/torch-venv/bin/python}
formats=${PYTORCH_FORMAT:-both}
case "$formats" in both) formats="channels_last contiguous";; channels_last|contiguous) ;;
  *) echo "compare_pytorch: PYTORCH_FORMAT must be both, channels_last or contiguous, not '$formats'" >&2; exit 2;; esac
qat=""; for a in "$@"; do case "$a" in fatnn|tnn|lsq2|binary|fatnn-a2) qat="--qat";; esac; done
fatnn=${FATNN_BIN:-.build/release/fatnn}
[ -x "$fatnn" ] || { echo "compare_pytorch: no binary at $fatnn; build first: swift build -c release" >&2; exit 1; }
if [ "${AVX2_ONLY:-0}" = 1 ]; then
  export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 FATNN_KERNEL_PATH=avx2 FATNN_FLOAT_PATH=avx2 OPENBLAS_CORETYPE=Haswell
fi
"$python" -c "import torch" 2>/dev/null || { echo "compare_pytorch: no PyTorch at $python (see the header of this script)" >&2; exit 1; }
for _ in $(seq "$rounds"); do
  for f in $formats; do
    "$python" scripts/pytorch_bench.py --model cnn-s,resnet20 --batch 128 --threads "$threads" --steps 10 --memory-format "$f" $qat
  done
  "$fatnn" bench train --model cnn-s,resnet20 --batch 128 --threads "$threads" --steps 5 --json "$@" | sed 's/^{/{"framework":"fatnn",/'
done | "$python" scripts/pytorch_bench.py --summarize
