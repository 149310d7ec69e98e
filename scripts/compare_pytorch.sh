#!/usr/bin/env bash
# Side-by-side training and eval throughput: FATNN's engine against PyTorch on the same machine,
# same models, batch and thread count, interleaved so that both see the same machine state.
#   scripts/compare_pytorch.sh [ROUNDS] [THREADS] [extra fatnn bench train flags, e.g. --quantizer fatnn]
# Needs a release build and PyTorch in a virtualenv (tooling only, never a FATNN dependency):
#   python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch==2.15.0
# PYTHON selects the interpreter (default /tmp/torch-venv/bin/python). Prints the median of the
# rounds for each framework, model and figure.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; threads=${2:-2}; shift $(( $# > 2 ? 2 : $# )) || true
python=${PYTHON:-/tmp/torch-venv/bin/python}
qat=""; for a in "$@"; do case "$a" in fatnn|tnn|lsq2|binary|fatnn-a2) qat="--qat";; esac; done
[ -x .build/release/fatnn ] || { echo "compare_pytorch: build first: swift build -c release" >&2; exit 1; }
"$python" -c "import torch" 2>/dev/null || { echo "compare_pytorch: no PyTorch at $python (see the header of this script)" >&2; exit 1; }
for _ in $(seq "$rounds"); do
  "$python" scripts/pytorch_bench.py --model cnn-s,resnet20 --batch 128 --threads "$threads" --steps 10 $qat
  .build/release/fatnn bench train --model cnn-s,resnet20 --batch 128 --threads "$threads" --steps 5 --json "$@" | sed 's/^{/{"framework":"fatnn",/'
done | "$python" scripts/pytorch_bench.py --summarize
