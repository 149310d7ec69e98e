#!/usr/bin/env bash
# The two-coordinator PostgreSQL kill test at full size (issue 22): 16 workers, 48 small training
# jobs, one coordinator killed with SIGKILL mid-sweep and restarted; every job must end once.
# scripts/test.sh runs the short form (3 workers, 8 jobs).
#   scripts/postgres_kill_test.sh [WORKERS [JOBS]]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --postgres
swift build --build-tests
pg=$(mktemp -d)
trap 'scripts/postgres.sh stop "$pg" >/dev/null 2>&1 || true; rm -rf "$pg"' EXIT
export FATNN_TEST_POSTGRES
FATNN_TEST_POSTGRES=$(scripts/postgres.sh start "$pg")
FATNN_PG_KILL_WORKERS=${1:-16} FATNN_PG_KILL_JOBS=${2:-48} \
  swift test --disable-xctest --skip-build --filter 'EndToEndTests.PostgresCoordinatorsTests'
