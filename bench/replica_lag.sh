#!/usr/bin/env bash
# Replica lag under load (issue 25 §2): builds release, then bench/replica_lag.py runs the soak's
# mix against presignd with a streaming standby as its read replica and samples replay_lag.
# Knob: REPLICA_SECONDS (20). SCRATCH_PATH: swift build's directory.
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$python" bench/replica_lag.py
