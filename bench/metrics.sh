#!/usr/bin/env bash
# Cost of metrics on the hot path: builds the release presignd, then bench/metrics.py runs the
# presign route and /healthz with metrics on and off, alternating, in one run.
# SCRATCH_PATH: swift build's directory; SKIP_BUILD=1 uses the existing build.
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$python" bench/metrics.py
