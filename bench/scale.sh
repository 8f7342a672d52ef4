#!/usr/bin/env bash
# Scale (issue 24): builds release, then bench/scale.py starts its own PostgreSQL 15 (with
# pg_stat_statements), ministack, presignd and nginx; measures every request route on an empty
# schema; fills 10,000,000 documents at schema 4 (harness/fill.py, the fill test_query_plans.py
# uses), times each later migration with clients writing meanwhile, and measures every route again
# as a typical user and as the largest whale; prints markdown tables (p50/p99 through nginx and
# PostgreSQL time per request at both sizes, migrations, sizes, README's audit-log query under
# EXPLAIN ANALYZE). About 30 min on 2 cores, a few GB of disk (the cluster is removed at the end).
#   bench/scale.sh                                  SCALE_DOCUMENTS=1000000 SCALE_REQUESTS=100 ...
# Knobs: SCALE_DOCUMENTS (10000000), SCALE_USERS, SCALE_WHALES, SCALE_SHARES, SCALE_AUDIT_ROWS,
# SCALE_AUDIT_MONTHS, SCALE_REQUESTS (200), SCALE_WARMUP, SCALE_PAGE, SCALE_SWEEPS, SCALE_QUOTAS,
# SCALE_WORKERS, SCALE_THREADS, SCALE_SHARED_BUFFERS, SCALE_FILL_WORK_MEM, SCALE_WRITER_PAUSE (see
# bench/scale.py); SCRATCH_PATH: swift build's directory; SKIP_BUILD=1 uses what it holds;
# PRESIGND_BINARY: measure that binary instead (no build).
set -euo pipefail
. "$(dirname "$0")/common.sh"
. deploy/setup-lib.sh
ensure_packages postgresql-15 postgresql-contrib nginx-light >&2
exec "$python" bench/scale.py
