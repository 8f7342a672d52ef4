#!/usr/bin/env bash
# Flows benchmark: builds release, then bench/flows.py starts PostgreSQL, ministack, presignd
# and nginx on loopback and prints a markdown table (presign, download, cdn-cookies via wrk,
# next to pgbench's INSERT rate at the same concurrency).
# Knobs: FLOWS_SECONDS (10), FLOWS_CONNECTIONS (16), FLOWS_WORKERS (2), FLOWS_THREADS (8);
# SCRATCH_PATH: swift build's directory.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH_PATH:-$(pwd)/.build}
swift build -c release --scratch-path "$scratch" 2>&1 | tail -n 1
export PRESIGND_BINARY="$scratch/release/presignd"
python=".venv/bin/python"
[ -x "$python" ] || { echo "run deploy/test.sh once to create .venv" >&2; exit 1; }
exec "$python" bench/flows.py
