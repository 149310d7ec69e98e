#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: an unprivileged server in a folder,
# listening only on a Unix socket in that folder (no TCP port), trust authentication for its
# own user.
#
#   scripts/postgres.sh start DIR   initdb (first time) and start; prints the store URL
#   scripts/postgres.sh stop DIR    stop the server (the folder stays; rm -rf it to drop all)
#   scripts/postgres.sh url DIR     print the store URL of a running cluster
#
# The URL, postgresql://USER@/fatnn?host=DIR, is what `fatnn-coord serve --store` and the tests
# (FATNN_TEST_POSTGRES) take. The server runs as the invoking user, or as `postgres` when invoked
# as root (initdb refuses root). Needs Debian's postgresql (scripts/setup.sh --postgres).
set -euo pipefail

cmd=${1:-}; dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$bin" || ! -x "$bin/pg_ctl" ]]; then
  echo "postgres.sh: PostgreSQL's server programs are not installed (run scripts/setup.sh --postgres)" >&2
  exit 3
fi
user=$(id -un)
as=()
if [[ $(id -u) == 0 ]]; then user=postgres; as=(runuser -u postgres --); fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

url() { echo "postgresql://$user@/fatnn?host=$dir"; }

case "$cmd" in
  start)
    [[ $(id -u) == 0 ]] && chown postgres "$dir"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      "${as[@]}" "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 \
        || { echo "postgres.sh: initdb failed; see $dir/initdb.log" >&2; exit 1; }
    fi
    # Fsync stays on (the store's durability is what the tests check); only the socket is local.
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=200" start >/dev/null \
      || { echo "postgres.sh: the server did not start; see $dir/server.log" >&2; exit 1; }
    if ! "${as[@]}" psql -h "$dir" -U "$user" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'fatnn'" | grep -q 1; then
      "${as[@]}" psql -h "$dir" -U "$user" -d postgres -qc "CREATE DATABASE fatnn" >/dev/null
    fi
    url
    ;;
  stop)
    [[ -f "$dir/data/postmaster.pid" ]] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  url) url ;;
  *) echo "postgres.sh: unknown command '$cmd' (start, stop or url)" >&2; exit 2 ;;
esac
