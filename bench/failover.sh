#!/usr/bin/env bash
# Failover and second-host benchmark (issue 11 §5-6): builds release, then bench/failover.py
#  1. database failover: promote → first 200 write, FAILOVER_RUNS times with the primary shut
#     down (asynchronous replication) and crashed (synchronous replication);
#  2. one presignd host vs two (network namespaces, FastCGI over TCP) behind one nginx: req/s and
#     CPU per request (both hosts share this machine's cores: a functional check, not scaling).
# Needs root for the namespaces (part 2 is skipped, saying why, without).
# Knobs: SCRATCH_PATH (swift build directory, default .build), SKIP_BUILD=1, and bench/failover.py's
# FAILOVER_RUNS, HOSTS_SECONDS, HOSTS_CONNECTIONS, HOSTS_WORKERS, HOSTS_THREADS, SKIP_FAILOVER, SKIP_HOSTS.
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$python" bench/failover.py
