#!/usr/bin/env bash
# Screenshots of the dashboard for the README: serves a copy of a coordinator database (default:
# the newest run/*/jobs.sqlite, e.g. from scripts/quickstart.sh) on a free port, loads the
# leaderboard, the progress page, one job page and one sweep page in headless Chromium, and saves
# them as docs/dashboard-*.png. Needs the Debian package chromium (installed if missing).
#
#   scripts/dashboard_screenshots.sh [DB] [JOB_ID] [SWEEP]
#   (SWEEP: default the database's first sweep; FATNN_BIN=DIR: use DIR/fatnn-coord, no build)
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-$(ls -t run/*/jobs.sqlite 2>/dev/null | head -n 1 || true)}
job=${2:-1}
sweep=${3:-$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT name FROM sweeps ORDER BY id LIMIT 1").fetchone()[0])' "$src")}
[[ -n "$src" && -f "$src" ]] || { echo "dashboard_screenshots: no database given and none under run/; run scripts/quickstart.sh first" >&2; exit 2; }
command -v chromium >/dev/null || { sudo=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo); $sudo apt-get install -y chromium; }
if [ -n "${FATNN_BIN:-}" ]; then
  bin=$FATNN_BIN
else
  swift build -c release --product fatnn-coord >/dev/null
  bin=$(swift build -c release --show-bin-path)
fi
tmp=$(mktemp -d)
cp "$src" "$tmp/jobs.sqlite"
for ext in -wal -shm; do [ -f "$src$ext" ] && cp "$src$ext" "$tmp/jobs.sqlite$ext"; done
"$bin/fatnn-coord" serve --db "$tmp/jobs.sqlite" --port 0 --port-file "$tmp/port" >"$tmp/coord.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$tmp/port")"
token=$(cat "$tmp/jobs.sqlite.token")
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$tmp/chrome")
# Checks that the page's DOM has the element with id $3, then saves its screenshot.
shot() {
  "${chrome[@]}" --dump-dom "$url/ui/login?token=$token&next=$2" 2>/dev/null | grep -q "id=\"$3\"" \
    || { echo "dashboard_screenshots: $2 has no element #$3" >&2; exit 1; }
  "${chrome[@]}" --window-size=1280,1000 --screenshot="docs/dashboard-$1.png" "$url/ui/login?token=$token&next=$2" 2>/dev/null
  echo "docs/dashboard-$1.png"
}
shot leaderboard /ui leaderboard
shot progress /ui/progress sweeps
shot job "/ui/jobs/$job" curves
shot sweep "/ui/sweeps/$sweep" sweep-curves
