#!/usr/bin/env bash
# Runs a random search twice, without and with early stopping, each on its own coordinator and
# store with the same workers, and compares epochs, wall time and the best configurations
# (docs/RESULTS.md, "Early stopping").
#
# usage: scripts/search_savings.sh [BIN_DIR]
#   BIN_DIR: where fatnn-coord and fatnn-worker are (default: swift build -c release --show-bin-path)
#   WORKERS (default 2) workers with THREADS (default nproc / WORKERS) engine threads each;
#   FULL / PRUNED: the two sweep files (default Jobs/fmnist-cnn-search.json and
#   Jobs/fmnist-cnn-search-asha.json, the same jobs with and without "pruning").
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-$(swift build -c release --show-bin-path)}
workers=${WORKERS:-2}
threads=${THREADS:-$(( $(nproc) / workers > 0 ? $(nproc) / workers : 1 ))}
full=${FULL:-Jobs/fmnist-cnn-search.json}
pruned=${PRUNED:-Jobs/fmnist-cnn-search-asha.json}
run=${RUN_DIR:-run/search-savings-$(date +%Y%m%d-%H%M%S)}
for f in "$bin/fatnn-coord" "$bin/fatnn-worker" "$full" "$pruned"; do
  [ -e "$f" ] || { echo "search_savings: $f: not found" >&2; exit 2; }
done
mkdir -p "$run"
pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

one() {  # one sweep on a fresh store: prints its wall time
  local sweep=$1 dir=$2
  mkdir -p "$dir"
  "$bin/fatnn-coord" serve --db "$dir/jobs.sqlite" --port 0 --port-file "$dir/port" >"$dir/coordinator.log" 2>&1 &
  local coord=$!
  pids+=($coord)
  for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
  [ -s "$dir/port" ] || { echo "search_savings: coordinator did not start; see $dir/coordinator.log" >&2; exit 1; }
  local url="http://127.0.0.1:$(cat "$dir/port")" client=(--coordinator "http://127.0.0.1:$(cat "$dir/port")" --token-file "$dir/jobs.sqlite.token")
  "$bin/fatnn-coord" submit "$sweep" "${client[@]}"
  local start=$(date +%s) w=()
  for i in $(seq "$workers"); do
    "$bin/fatnn-worker" --coordinator "$url" --token-file "$dir/jobs.sqlite.worker-token" --exit-when-idle --threads "$threads" \
      --name "worker-$i" --spool-dir "$dir/spool" --checkpoint-dir "$dir/checkpoints" >"$dir/worker-$i.log" 2>&1 &
    w+=($!)
  done
  while kill -0 "${w[@]}" 2>/dev/null; do
    sleep 30
    echo "[$(( $(date +%s) - start ))s] $sweep: $("$bin/fatnn-coord" status "${client[@]}" 2>/dev/null || true)"
  done
  wait "${w[@]}" || true
  echo "$sweep: wall time $(( $(date +%s) - start )) s with $workers worker(s) x $threads thread(s)" | tee "$dir/wall"
  "$bin/fatnn-coord" status "${client[@]}"
  kill "$coord"; wait "$coord" 2>/dev/null || true
}

echo "search_savings: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; run folder $run"
one "$full" "$run/full"
one "$pruned" "$run/pruned"
cat "$run/full/wall" "$run/pruned/wall"
python3 scripts/search_savings.py "$run/full/jobs.sqlite" "$run/pruned/jobs.sqlite"
