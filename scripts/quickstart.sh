#!/usr/bin/env bash
# The main job: a real sweep on Fashion-MNIST through a local coordinator and workers, ending in
# a leaderboard. Installs what is missing, builds in release, starts a coordinator on a fresh
# database, submits the sweep, runs the workers, shows progress, prints the leaderboard, and
# stops every process it started (also on Ctrl-C).
#
# Usage: scripts/quickstart.sh [SWEEP_FILE]       (default Jobs/quickstart.json)
# Environment:
#   WORKERS=N          workers to start (default 2)
#   THREADS=N          engine threads per worker (default: cores / workers, at least 1)
#   FATNN_CONFIG=debug build configuration (default release)
#   RUN_DIR=DIR        where the database and logs go (default run/quickstart-TIMESTAMP)
set -euo pipefail
cd "$(dirname "$0")/.."

sweep=${1:-Jobs/quickstart.json}
workers=${WORKERS:-2}
config=${FATNN_CONFIG:-release}
[[ "$workers" =~ ^[1-9][0-9]?$ ]] || { echo "quickstart: WORKERS must be a number from 1 to 99, got '$workers'" >&2; exit 2; }
[[ "$config" == release || "$config" == debug ]] || { echo "quickstart: FATNN_CONFIG must be release or debug, got '$config'" >&2; exit 2; }
threads=${THREADS:-$(( $(nproc) / workers > 0 ? $(nproc) / workers : 1 ))}
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "quickstart: THREADS must be a positive number, got '$threads'" >&2; exit 2; }
run=${RUN_DIR:-run/quickstart-$(date +%Y%m%d-%H%M%S)}
start=$(date +%s)

[ -f "$sweep" ] || { echo "quickstart: $sweep: no such sweep file" >&2; exit 2; }
scripts/setup.sh

# The build's own lines, filtered: errors and fetches as they come, and its [step/steps]
# progress at least every 10 seconds, also while one long step prints nothing.
build_progress() {
  local last="" shown=$SECONDS line status
  while true; do
    if IFS= read -r -t 10 line; then
      case "$line" in
        *error:*|*"Build complete"*|*Fetching*|*Computing*|*Cloning*) echo "  $line" ;;
        \[*/*\]*) last=${line%% Compiling*}; last=${last%% Linking*}; last=${last%% Write*} ;;
      esac
    else
      status=$?
      [ "$status" -gt 128 ] || break  # end of the build's output (a timeout returns more than 128)
    fi
    if [ -n "$last" ] && (( SECONDS - shown >= 10 )); then
      echo "  building: step ${last#\[} ($(( SECONDS - build_start )) s)" | sed 's|\]||'
      shown=$SECONDS
    fi
  done
}
build_start=$SECONDS

mkdir -p "$run"
echo "quickstart: building ($config; a first build fetches and compiles dependencies, several minutes on 2 cores; log: $run/build.log)"
set +o pipefail
swift build -c "$config" 2>&1 | tee "$run/build.log" | build_progress
build_status=${PIPESTATUS[0]}
set -o pipefail
if [ "$build_status" -ne 0 ]; then
  echo "quickstart: build failed (exit $build_status); last lines of $run/build.log:" >&2
  tail -n 30 "$run/build.log" >&2
  exit 1
fi
bin=$(swift build -c "$config" --show-bin-path)

db="$run/jobs.sqlite"
rm -f "$db" "$db-wal" "$db-shm" "$run/port"
pids=()
cleanup() {
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'echo; echo "quickstart: interrupted; stopping coordinator and workers"; exit 130' INT TERM

"$bin/fatnn-coord" serve --db "$db" --port 0 --port-file "$run/port" >"$run/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$run/port" ] && break; sleep 0.1; done
[ -s "$run/port" ] || { echo "quickstart: coordinator did not start; see $run/coordinator.log" >&2; cat "$run/coordinator.log" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$run/port")"
coord=("$bin/fatnn-coord")
client=(--coordinator "$url" --token-file "$db.token")
echo "quickstart: coordinator at $url (database $db)"

"${coord[@]}" submit "$sweep" "${client[@]}"

echo "quickstart: starting $workers worker(s) with $threads engine thread(s) each"
worker_pids=()
for i in $(seq "$workers"); do
  "$bin/fatnn-worker" --coordinator "$url" --token-file "$db.worker-token" --exit-when-idle \
    --threads "$threads" --name "worker-$i" --spool-dir "$run/spool" --checkpoint-dir "$run/checkpoints" \
    >"$run/worker-$i.log" 2>&1 &
  pids+=($!)
  worker_pids+=($!)
done

alive() { for p in "${worker_pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while alive; do
  sleep 5
  line=$("${coord[@]}" status "${client[@]}" 2>/dev/null || echo "status unavailable")
  latest=$(for log in "$run"/worker-*.log; do grep -E "\] (job [0-9]+ (epoch|done|failed)|job [0-9]+: )" "$log" | tail -n 1 || true; done | sed 's/.*\] /    /') || true
  printf '[%4ds] %s\n%s\n' $(( $(date +%s) - start )) "$line" "$latest"
done
failed=0
for p in "${worker_pids[@]}"; do wait "$p" || failed=1; done

echo
echo "Leaderboard ($sweep):"
"${coord[@]}" results "${client[@]}"
echo
"${coord[@]}" status "${client[@]}" || true
echo "quickstart: wall time $(( $(date +%s) - start )) s; database and logs in $run"
final_status=$("${coord[@]}" status "${client[@]}" 2>&1 || true)
if [ "$failed" -ne 0 ] || [[ "$final_status" != *" failed 0 "* ]] || [[ "$final_status" != *" dead 0 "* ]]; then
  echo "quickstart: some jobs or workers failed; see $run/worker-*.log" >&2
  exit 1
fi
