#!/usr/bin/env bash
# Patroni benchmark (issue 25 §1): builds release, then bench/patroni.py
#  1. failover with Patroni (3 PostgreSQL 15 nodes, etcd, each node in a network namespace):
#     switchover, the leader's postmaster SIGKILLed, the leader partitioned, the leader frozen
#     (SIGSTOP), PATRONI_RUNS times each: failure → Patroni's new leader → presignd's first write;
#  2. the write path with synchronous_mode off and on (wrk on POST /api/uploads/presign).
# Needs root (network namespaces) and Debian's patroni and etcd-server (installed here).
# About 8 min on 2 cores. Knobs: SCRATCH_PATH (swift build directory, default .build), SKIP_BUILD=1,
# PRESIGND_BINARY (measure that binary instead, no build), and bench/patroni.py's PATRONI_RUNS,
# PATRONI_HARMS, SYNC_SECONDS, SYNC_CONNECTIONS, SYNC_WORKERS, SYNC_THREADS, SKIP_FAILOVER, SKIP_SYNC.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. deploy/setup-lib.sh
ensure_packages patroni etcd-server >&2
exec "$python" bench/patroni.py
