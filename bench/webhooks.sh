#!/usr/bin/env bash
# Events and webhooks benchmark (issue 22): builds release, then bench/webhooks.py runs confirm with
# events on and off side by side, the time from confirm to the receiver's 2xx, the deliverer's
# throughput, and the API while the receiver is down. Knobs: WEBHOOK_ROUNDS (3), WEBHOOK_CONFIRMS
# (600 per round), WEBHOOK_EVENTS (20000). SCRATCH_PATH: swift build's directory.
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$python" bench/webhooks.py
