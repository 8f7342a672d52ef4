#!/usr/bin/env bash
# Cost of metrics on the hot path: builds the release presignd, then bench/metrics.py runs the
# presign route and /healthz with metrics on and off, alternating, in one run.
# SCRATCH_PATH: swift build's directory; SKIP_BUILD=1 uses the existing build.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH_PATH:-$(pwd)/.build}
python=".venv/bin/python"
[ -x "$python" ] || { echo "run deploy/test.sh once to create .venv" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ "${SKIP_BUILD:-}" = 1 ] || swift build -c release --scratch-path "$scratch" 2>&1 | tail -n 1
PRESIGND_BINARY="$scratch/release/presignd" "$python" bench/metrics.py
