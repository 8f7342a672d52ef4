#!/usr/bin/env bash
# Soak: 1,000,000 mixed authenticated requests (presign, list, download) through nginx, worker RSS
# sampled after every 10 s slice (bench/soak.py). SOAK_REQUESTS, SOAK_SLICE, SCRATCH_PATH, SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH_PATH:-$(pwd)/.build}
[ -x .venv/bin/python ] || { echo "run deploy/test.sh once to create .venv" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ "${SKIP_BUILD:-}" = 1 ] || swift build -c release --scratch-path "$scratch" 2>&1 | tail -n 1
PRESIGND_BINARY="$scratch/release/presignd" .venv/bin/python bench/soak.py
