#!/usr/bin/env bash
# Resuming after a crash (issue 21): builds release, then bench/resume.py kills a real Chromium at
# random points of a 300 MiB upload and resumes it on the same profile, 10 times. Knobs: RESUME_MB
# (300), RESUME_KILLS (10), RESUME_SEED (21). SCRATCH_PATH: swift build's directory.
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$python" bench/resume.py
