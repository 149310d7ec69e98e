#!/usr/bin/env bash
# Runs every libFuzzer target (Tests/Fuzz) for SECONDS in all (default 60), split evenly, and
# prints one line per target: executions, seconds, crashes. Builds with the fuzzer and address
# sanitizers into .build-fuzz. Seeds: generated model, packed, result, claim, filter, IDX and kernel
# inputs, and the sweep files of Jobs/. Crashes are kept as .build-fuzz/crash-TARGET-*; the
# corpus grows in .build-fuzz/corpus/TARGET and is reused by the next run.
#
#   scripts/fuzz.sh            # 60 s in all (scripts/test.sh runs `scripts/fuzz.sh 30`)
#   scripts/fuzz.sh 7200       # two hours
#   FATNN_FUZZ_TARGETS="model sweep" scripts/fuzz.sh 600
#   FATNN_FUZZ_RUNS=1000000 scripts/fuzz.sh   # each target until 10^6 executions instead
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-60}
read -r -a targets <<< "${FATNN_FUZZ_TARGETS:-model packed sweep result claim filter idx kernels}"
per=$(( total / ${#targets[@]} )); (( per >= 1 )) || per=1
runs=${FATNN_FUZZ_RUNS:-}

echo "fuzz: building the targets (release, -sanitize=fuzzer,address)" >&2
bin=.build-fuzz/release/fatnn-fuzz
work=.build-fuzz
mkdir -p "$work"
if ! swift build -c release --package-path Tests/Fuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address \
    >"$work/build.log" 2>&1; then
  echo "fuzz: the build failed (full log: $work/build.log):" >&2
  tail -20 "$work/build.log" >&2
  exit 1
fi
tail -1 "$work/build.log" >&2
rm -rf "$work/seeds"
(cd "$work" && FATNN_FUZZ_WRITE_SEEDS=seeds FATNN_FUZZ_TARGET=model release/fatnn-fuzz -runs=1 >/dev/null 2>&1) || true
[[ -d "$work/seeds/model" ]] || { echo "fuzz: the seed writer failed" >&2; exit 1; }
mkdir -p "$work/seeds/sweep" && cp Jobs/*.json "$work/seeds/sweep/"

failed=0
printf '%-8s %14s %9s %8s\n' target executions seconds crashes
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t"
  limit=(-max_total_time="$per")
  [[ -n "$runs" ]] && limit=(-runs="$runs")
  log="$work/fuzz-$t.log"
  start=$SECONDS
  set +e
  FATNN_FUZZ_TARGET="$t" "$bin" "$work/corpus/$t" "$work/seeds/$t" "${limit[@]}" -max_len=200000 -rss_limit_mb=4096 \
    -timeout=20 -print_final_stats=1 -artifact_prefix="$work/crash-$t-" >"$log" 2>&1
  status=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  secs=$(( SECONDS - start ))
  crashes=$(find "$work" -maxdepth 1 -name "crash-$t-*" | wc -l)
  printf '%-8s %14s %9s %8s\n' "$t" "$execs" "$secs" "$crashes"
  if (( status != 0 )); then
    failed=1
    echo "fuzz: target $t stopped with status $status; see $log and $work/crash-$t-*" >&2
    grep -m5 -E 'ERROR|Fatal|SUMMARY|error' "$log" >&2 || true
  fi
done
exit $failed
