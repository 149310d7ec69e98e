#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole test suite:
#   1. swift test (unit, store, engine on real Fashion-MNIST, end to end over HTTP);
#   2. the JSON Schemas against the example sweeps (skipped without python3-jsonschema);
#   3. the quickstart script itself, on a 2-job smoke sweep with debug binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build --build-tests
swift test
python3 scripts/check_schemas.py
RUN_DIR=$(mktemp -d) FATNN_CONFIG=debug WORKERS=2 scripts/quickstart.sh Jobs/smoke.json
