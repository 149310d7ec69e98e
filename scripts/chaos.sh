#!/usr/bin/env bash
# Chaos loop for the job lifecycle (the long version of Tests/EndToEndTests/Reliability):
# a real coordinator and workers on real Fashion-MNIST jobs, while this script kill -9s the
# coordinator and the workers at random moments and restarts them. At the end it checks that
#   - PRAGMA integrity_check is ok,
#   - every job succeeded exactly once (one results row each, no job both queued and done),
#   - every result a worker logged as acknowledged ("job N done") is stored.
#
#   scripts/chaos.sh [ROUNDS]      default 20 rounds; env JOBS (default 24), WORKERS (default 3),
#                                  EPOCHS (default 3), FATNN_CONFIG (release|debug, default release)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
jobs=${JOBS:-24}
workers=${WORKERS:-3}
epochs=${EPOCHS:-3}
config=${FATNN_CONFIG:-release}
[[ "$rounds" =~ ^[0-9]+$ && "$jobs" =~ ^[0-9]+$ && "$workers" =~ ^[1-9][0-9]?$ ]] || { echo "chaos: ROUNDS, JOBS, WORKERS must be numbers" >&2; exit 2; }

swift build -c "$config" --product fatnn-coord >/dev/null
swift build -c "$config" --product fatnn-worker >/dev/null
bin=$(swift build -c "$config" --show-bin-path)
run=$(mktemp -d /tmp/fatnn-chaos.XXXXXX)
db=$run/jobs.sqlite
echo "chaos: $rounds rounds, $jobs jobs, $workers workers; logs in $run"

coord_pid=""
port=0
start_coord() {
  rm -f "$run/port"
  "$bin/fatnn-coord" serve --db "$db" --port "$port" --port-file "$run/port" --lease-seconds 4 --backoff-seconds 0 \
    >>"$run/coordinator.log" 2>&1 &
  coord_pid=$!
  for _ in $(seq 300); do [[ -s "$run/port" ]] && break; sleep 0.1; done
  [[ -s "$run/port" ]] || { echo "chaos: coordinator did not start; see $run/coordinator.log" >&2; exit 1; }
  port=$(cat "$run/port")
}
declare -A worker_pid
start_worker() {
  "$bin/fatnn-worker" --coordinator "http://127.0.0.1:$port" --token-file "$db.worker-token" --threads 1 --name "w$1" \
    --poll-seconds 0.3 --spool-dir "$run/spool-w$1" --checkpoint-dir "$run/ckpt" >>"$run/w$1.log" 2>&1 &
  worker_pid[$1]=$!
}
cleanup() { kill -9 "$coord_pid" "${worker_pid[@]}" 2>/dev/null || true; }
trap cleanup EXIT

start_coord
seeds=$(seq -s, 1 "$jobs")
cat >"$run/sweep.json" <<JSON
{ "name": "chaos", "base": { "model": "mlp", "dataset": {"name": "fashion-mnist", "validationFraction": 0.1, "trainLimit": 1000},
  "training": {"epochs": $epochs, "batchSize": 50, "learningRate": 0.1} }, "seeds": [$seeds] }
JSON
"$bin/fatnn-coord" submit "$run/sweep.json" --coordinator "http://127.0.0.1:$port" --token-file "$db.token"
for i in $(seq "$workers"); do start_worker "$i"; done

for r in $(seq "$rounds"); do
  sleep "$(awk -v s=$RANDOM 'BEGIN { srand(s); printf "%.2f", 0.5 + rand() * 2.5 }')"
  if (( RANDOM % 2 )); then
    kill -9 "$coord_pid"; wait "$coord_pid" 2>/dev/null || true
    sleep 0.3; start_coord; what="coordinator"
  else
    i=$(( RANDOM % workers + 1 ))
    kill -9 "${worker_pid[$i]}"; wait "${worker_pid[$i]}" 2>/dev/null || true
    start_worker "$i"; what="worker w$i"
  fi
  echo "chaos: round $r: killed and restarted the $what; $("$bin/fatnn-coord" status --coordinator "http://127.0.0.1:$port" --token-file "$db.token" 2>/dev/null || echo 'status unavailable')"
done

echo "chaos: waiting for the queue to drain"
for _ in $(seq 1200); do
  s=$("$bin/fatnn-coord" status --coordinator "http://127.0.0.1:$port" --token-file "$db.token" 2>/dev/null || true)
  [[ "$s" == *"succeeded $jobs "* ]] && break
  sleep 0.5
done
echo "chaos: $s"
for i in $(seq "$workers"); do kill -TERM "${worker_pid[$i]}" 2>/dev/null || true; done
for i in $(seq "$workers"); do wait "${worker_pid[$i]}" 2>/dev/null || true; done
kill -9 "$coord_pid"; wait "$coord_pid" 2>/dev/null || true

python3 - "$db" "$jobs" "$run" <<'PY'
import glob, re, sqlite3, sys
db, jobs, run = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = sqlite3.connect(db)
problems = []
ic = c.execute("PRAGMA integrity_check").fetchone()[0]
if ic != "ok": problems.append(f"integrity_check: {ic}")
states = dict(c.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
if states.get("succeeded") != jobs: problems.append(f"states: {states}")
both = c.execute("SELECT count(*) FROM jobs j JOIN results r ON r.job_id = j.id WHERE j.state != 'succeeded'").fetchone()[0]
if both: problems.append(f"{both} job(s) have a result but are not succeeded")
n = c.execute("SELECT count(*) FROM results").fetchone()[0]
if n != jobs: problems.append(f"{n} results for {jobs} jobs")
acked = set()
for log in glob.glob(run + "/w*.log"):
    acked |= {int(m) for m in re.findall(r"job (\d+) done", open(log, errors="replace").read())}
stored = {r[0] for r in c.execute("SELECT job_id FROM results")}
if acked - stored: problems.append(f"acknowledged but missing: {sorted(acked - stored)}")
outcomes = dict(c.execute("SELECT outcome, count(*) FROM attempts GROUP BY outcome").fetchall())
print(f"chaos: integrity {ic}; {n} results for {jobs} jobs; {len(acked)} acknowledged in worker logs; attempts {outcomes}")
if problems:
    print("chaos: FAILED: " + "; ".join(problems)); sys.exit(1)
print("chaos: ok")
PY
