#!/usr/bin/env bash
# Capacity (issue 25 §4): builds release, then bench/capacity.py starts its own PostgreSQL 15 (with
# pg_stat_statements), ministack, a webhook receiver and two presignd stacks behind nginx, and
# measures WAL bytes per presign, confirm (events off and on) and download signing; the CPU of
# presignd, nginx and PostgreSQL per request on every route; and pgbench running presignd's own
# presign and confirm statements (bench/capacity/*.sql, checked against what presignd sent):
# uploads per second and per PostgreSQL core. Markdown tables on stdout. About 3 min on 2 cores.
#   bench/capacity.sh                  CAPACITY_PARTS=pgbench CAPACITY_PGBENCH_SECONDS=30 bench/capacity.sh ...
# Knobs: CAPACITY_PARTS (wal,cpu,pgbench), CAPACITY_WAL_UPLOADS (500), CAPACITY_REQUESTS (300),
# CAPACITY_OWNERS (10000), CAPACITY_PGBENCH_SECONDS (15), CAPACITY_PGBENCH_CLIENTS (8),
# CAPACITY_WORKERS (2), CAPACITY_THREADS (4) (see bench/capacity.py); SCRATCH_PATH: swift build's
# directory; SKIP_BUILD=1 uses what it holds; PRESIGND_BINARY: measure that binary instead (no build).
set -euo pipefail
. "$(dirname "$0")/common.sh"
. deploy/setup-lib.sh
ensure_packages postgresql-15 postgresql-contrib nginx-light >&2
exec "$python" bench/capacity.py
