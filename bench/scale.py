"""Scale (issue 24), not a test: every request route at 10,000,000 documents next to an empty table.

One PostgreSQL 15 cluster (bench/floor.py's PostgresWithStatements: pg_stat_statements preloaded,
synchronous_commit=on; here with planning tracked and the memory settings below), ministack, and
presignd (SCALE_WORKERS x SCALE_THREADS) behind nginx (the integration tests' stack, harness/stack.py):

a. Empty: the schema migrated with nothing in it but what the measured user needs (the typical
   user's 25 documents and 12 shared with her, harness/fill.py's second phase): every route
   measured as that user.
b. The fill (harness/fill.py, the one test_query_plans.py uses, ten times larger by default):
   SCALE_DOCUMENTS documents at schema 4 (`presignd migrate --to 4`), SCALE_USERS users, whales of
   1 %, 3 % and 10 % of the documents (100,000, 300,000 and 1,000,000 at the default size),
   SCALE_SHARES shares, SCALE_AUDIT_ROWS audit rows over the last 12 monthly partitions; fsync and
   full_page_writes off for the fill alone, then VACUUM (ANALYZE) and a checkpoint. Then
   `presignd migrate --to N` for each later migration, timed, as configured (the default
   statement timeout, PRESIGND_DB_STATEMENT_TIMEOUT_MS=5000) and, if that fails, again with the
   largest timeout presignd takes (600,000 ms); meanwhile background clients (presign, download,
   and share + unshare once migration 5 made the column) count requests that failed or took more
   than a second. Then VACUUM (ANALYZE) and the tables' and indexes' sizes.
c. Every route again, as the typical user and as the largest whale: SCALE_REQUESTS sequential
   requests each (after SCALE_WARMUP unmeasured ones) through nginx on one kept-alive
   connection: client p50/p99, and PostgreSQL time per request from pg_stat_statements (reset
   before each route; execution + planning time of the database's statements / requests).
   `presignd sweep --dry-run` SCALE_SWEEPS times. With SCALE_QUOTAS=1, presign and usage again
   with quotas (the usage rows are kept either way since migration 12, which b. times).
d. README.md's audit-log query for operators (and the same for a document's history) under
   EXPLAIN ANALYZE, at both sizes.
e. Markdown tables on stdout (progress on stderr) and the targets: every route within 2x of the
   empty table's cost, every listing page's p99 <= 10 ms.

Knobs: SCALE_DOCUMENTS (10000000), SCALE_USERS (documents / 10), SCALE_WHALES (comma-separated
sizes; default 1 %, 3 %, 10 % of the documents), SCALE_SHARES (documents / 10), SCALE_AUDIT_ROWS
(documents), SCALE_AUDIT_MONTHS (12), SCALE_REQUESTS (200), SCALE_WARMUP (10), SCALE_PAGE (20:
the listing's limit), SCALE_SWEEPS (5), SCALE_ROUTE_SECONDS (120: a route stops
there, with at least 20 requests measured), SCALE_QUOTAS (1), SCALE_WORKERS (2), SCALE_THREADS (4),
SCALE_SHARED_BUFFERS (2GB), SCALE_FILL_WORK_MEM (2GB), SCALE_WRITER_PAUSE (0.05 s between a background
client's requests). PRESIGND_BINARY: the presignd measured (bench/scale.sh sets it).
"""
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import quote

import requests

from common import SECRET, ROOT, Stopping, token  # noqa: F401  (puts this tree's harness on sys.path)
from floor import PostgresWithStatements  # noqa: E402
from harness import ministack  # noqa: E402
from harness.common import PURPOSES  # noqa: E402
from harness.fill import FILL_SCHEMA_VERSION, SHARING_WITH_USER, Fill, cursor_at  # noqa: E402
from harness.presignd import binary  # noqa: E402
from harness.stack import stack_env, start_stack, stop_stack  # noqa: E402


def knob(name, default):
    return int(os.environ.get(f"SCALE_{name}", default))


DOCUMENTS = knob("DOCUMENTS", 10_000_000)
USERS = knob("USERS", max(DOCUMENTS // 10, 10))
WHALE_SIZES = [int(s) for s in os.environ.get("SCALE_WHALES", f"{DOCUMENTS // 100},{DOCUMENTS * 3 // 100},{DOCUMENTS // 10}").split(",")]
SHARES = knob("SHARES", DOCUMENTS // 10)
AUDIT_ROWS = knob("AUDIT_ROWS", DOCUMENTS)
AUDIT_MONTHS = knob("AUDIT_MONTHS", 12)
REQUESTS = knob("REQUESTS", 200)
WARMUP = knob("WARMUP", 10)
PAGE = knob("PAGE", 20)
SWEEPS = knob("SWEEPS", 5)
ROUTE_SECONDS = knob("ROUTE_SECONDS", 120)
QUOTAS = os.environ.get("SCALE_QUOTAS", "1") == "1"
WORKERS, THREADS = knob("WORKERS", 2), knob("THREADS", 4)
WRITER_PAUSE = float(os.environ.get("SCALE_WRITER_PAUSE", "0.05"))
USER = "alice"


def size_name(n):
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1_000}k" if n % 1_000 == 0 else str(n)


WHALES = tuple((f"whale-{size_name(size)}", size) for size in WHALE_SIZES)
WHALE = max(WHALES, key=lambda w: w[1])[0]
# Enough sampled pages for the shares (harness/fill.py): 1.15 ready documents of the users sampled per share.
SHARE_SAMPLE = min(100.0, round(115 * SHARES / max(DOCUMENTS - sum(WHALE_SIZES), 1), 2))
FILL = Fill(documents=DOCUMENTS, users=USERS, whales=WHALES, shares=SHARES, audit_rows=AUDIT_ROWS, audit_months=AUDIT_MONTHS,
            user=USER, share_sample_percent=SHARE_SAMPLE, work_mem=os.environ.get("SCALE_FILL_WORK_MEM", "2GB"), timeout=7200)
LARGE = f"{DOCUMENTS:,}"

# The cluster: PostgresWithStatements's, planning time tracked too, memory for tables of gigabytes.
PG_SETTINGS = {
    "pg_stat_statements.track_planning": "on",
    "shared_buffers": os.environ.get("SCALE_SHARED_BUFFERS", "2GB"),
    "effective_cache_size": "8GB", "maintenance_work_mem": "512MB",
    "max_wal_size": "16GB", "checkpoint_timeout": "30min",
}
# For the fill alone (ALTER SYSTEM, reset before the migrations).
FILL_ONLY_SETTINGS = {"fsync": "off", "full_page_writes": "off"}
MAX_STATEMENT_TIMEOUT_MS = "600000"  # the largest PRESIGND_DB_STATEMENT_TIMEOUT_MS presignd takes

DATA = b"%PDF-1.4 scale\n"
PRESIGN = {"purpose": "document", "fileName": "scale.pdf", "contentType": "application/pdf", "fileSize": len(DATA)}
UPPY = "/api/uppy/s3"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else float("nan")


# --- the cluster -------------------------------------------------------------------------------

def admin_psql(pg, sql):
    """SQL on the cluster's maintenance database (for DROP/CREATE DATABASE)."""
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", f"postgresql://postgres@127.0.0.1:{pg.port}/postgres",
                    "-c", sql], check=True, capture_output=True, text=True)


def presignd(env, *args, timeout=3600):
    """`presignd ARGS` with env; returns (seconds, completed process)."""
    started = time.monotonic()
    out = subprocess.run([binary(), *args], env=env, capture_output=True, text=True, timeout=timeout)
    return time.monotonic() - started, out


def must(result):
    seconds, out = result
    assert out.returncode == 0, f"{out.args}: {out.stdout}{out.stderr}"
    return seconds, out


def migrate_as_configured(env, *args, attempt=lambda number: None):
    """`presignd migrate ARGS` as configured (the default statement timeout) and, if that fails,
    again with the largest timeout presignd takes (`attempt(1)`, `attempt(2)` called before each):
    [(how, seconds, completed process)]."""
    attempt(1)
    attempts = [("default statement timeout (5,000 ms)", *presignd(env, "migrate", *args))]
    if attempts[-1][2].returncode != 0:
        attempt(2)
        out = attempts[-1][2]
        log(f"    failed after {attempts[-1][1]:.1f} s: {(out.stdout + out.stderr).strip()[:300]}")
        attempts.append((f"PRESIGND_DB_STATEMENT_TIMEOUT_MS={MAX_STATEMENT_TIMEOUT_MS}",
                         *presignd(dict(env, PRESIGND_DB_STATEMENT_TIMEOUT_MS=MAX_STATEMENT_TIMEOUT_MS), "migrate", *args)))
        out = attempts[-1][2]
        assert out.returncode == 0, out.stdout + out.stderr
    return attempts


def timed_sql(pg, sql):
    started = time.monotonic()
    pg.psql(sql)
    return time.monotonic() - started


STATEMENTS = ("FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
              "AND query NOT LIKE '%pg_stat_statements%'")


def statement_time(pg):
    """(ms of execution + planning, calls) of this database's statements since the last reset,
    the bench's own reads of pg_stat_statements left out."""
    ms, calls = pg.psql(f"SELECT coalesce(sum(total_exec_time + total_plan_time), 0), coalesce(sum(calls), 0) {STATEMENTS}")[0]
    return float(ms), int(calls)


def costliest(pg, n=2):
    """[(ms in all, calls, {shared blocks hit and read, WAL full-page images: per call}, statement
    text)] of the n statements that took longest since the reset."""
    rows = pg.psql(f"SELECT round((total_exec_time + total_plan_time)::numeric, 1), calls, shared_blks_hit, shared_blks_read, "
                   f"wal_fpi, regexp_replace(query, '\\s+', ' ', 'g') {STATEMENTS} ORDER BY 1 DESC LIMIT {n}")
    return [(float(ms), int(calls), {"hit": int(hit) / int(calls), "read": int(read) / int(calls), "fpi": int(fpi) / int(calls)},
             text) for ms, calls, hit, read, fpi, text in rows]


def seed_empty(pg, env):
    """The empty database: schema 4, the rows the measured user has in the fill (her 25 documents,
    12 documents of other users shared with her: the fill's second phase, over 12 documents of
    the first user that shares with her), then the later migrations."""
    must(presignd(env, "migrate", "--to", str(FILL_SCHEMA_VERSION)))
    sharer = FILL.user_id(SHARING_WITH_USER[0])
    pg.psql(f"""
        INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, actual_size,
                               actual_type, status, created_at, updated_at)
        SELECT id, '{sharer}', 'documents/{sharer}/' || id || '.pdf', 'document', 'shared.pdf', 100, 'application/pdf', 100,
               'application/pdf', 'ready', created, created
        FROM (SELECT gen_random_uuid() AS id, date_trunc('second', now() - n * interval '2 days') AS created
              FROM generate_series(1, 12) AS n) s""")
    pg.psql(FILL.second_phase_sql())
    must(presignd(env, "migrate"))
    pg.psql("VACUUM (ANALYZE)")


# --- the routes --------------------------------------------------------------------------------

class Client:
    """One kept-alive connection through nginx; each request timed."""

    def __init__(self, base):
        self.base = base
        self.session = requests.Session()
        self.tokens = {}

    def call(self, user, method, path, body=None, params=None):
        if user not in self.tokens:
            self.tokens[user] = "Bearer " + token(user, lifetime=6 * 3600)
        return self.session.request(method, self.base + path, headers={"Authorization": self.tokens[user]}, json=body,
                                    params=params, timeout=120)

    def ok(self, user, method, path, body=None, params=None, status=(200,)):
        r = self.call(user, method, path, body, params)
        assert r.status_code in status, f"{method} {path}: {r.status_code} {r.text[:300]}"
        return r


def measure(pg, client, user, calls, status=(200,)):
    """calls: WARMUP + REQUESTS (method, path, body, params); the first WARMUP unmeasured, and no
    more after SCALE_ROUTE_SECONDS once 20 were measured. Returns p50/p99 ms, PostgreSQL µs per
    request, failures, requests measured."""
    for call in calls[:WARMUP]:
        client.call(user, *call)
    pg.psql("SELECT pg_stat_statements_reset()")
    latencies, failed = [], 0
    deadline = time.monotonic() + ROUTE_SECONDS
    for call in calls[WARMUP:]:
        if len(latencies) >= 20 and time.monotonic() > deadline:
            break
        started = time.perf_counter()
        r = client.call(user, *call)
        latencies.append((time.perf_counter() - started) * 1000)
        if r.status_code not in status:
            failed += 1
            if failed == 1:
                log(f"  {call[0]} {call[1]}: {r.status_code} {r.text[:200]}")
    ms, statements = statement_time(pg)
    n = len(latencies)
    return {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99), "pg_us": ms * 1000 / n,
            "statements": statements / n, "failed": failed, "n": n, "costliest": costliest(pg)}


def post_form(presigned):
    r = requests.post(presigned["url"], data=list(presigned["fields"].items()), files={"file": ("scale.pdf", DATA)}, timeout=30)
    assert r.status_code in (200, 201, 204), r.text[:300]


ROUTES = [  # (key, label): the order of the tables
    ("list1", "GET /api/documents: first page"),
    ("list2", "GET /api/documents: second page (cursor)"),
    ("list_deep", "GET /api/documents: deep page (cursor)"),
    ("download", "GET /api/documents/{id}/download"),
    ("usage", "GET /api/usage"),
    ("presign", "POST /api/uploads/presign"),
    ("confirm", "POST /api/uploads/confirm"),
    ("share", "POST /api/documents/{id}/shares"),
    ("unshare", "DELETE /api/documents/{id}/shares/{userId}"),
    ("delete", "DELETE /api/documents/{id}"),
    ("uppy_params", "GET /api/uppy/s3/params (Uppy: sign)"),
    ("uppy_sign_part", "GET /api/uppy/s3/multipart/{uploadId}/{n} (Uppy: sign part)"),
    ("uppy_list_parts", "GET /api/uppy/s3/multipart/{uploadId} (Uppy: list parts)"),
    ("presign_quota", "POST /api/uploads/presign, quotas on"),
    ("usage_quota", "GET /api/usage, quotas on"),
]
LABELS = dict(ROUTES)
LISTING = ("list1", "list2", "list_deep")
# At the empty table there is no deep page: its cost there is the second page's.
BASELINE = {"list_deep": "list2", "presign_quota": "presign_quota", "usage_quota": "usage_quota"}


def measure_user(pg, client, user, deep_offset=None):
    """Every route as `user`: {route key: measure()}."""
    total = WARMUP + REQUESTS
    out = {}

    def run(key, calls, status=(200,)):
        log(f"  {user}: {LABELS[key]} x {len(calls)}")
        out[key] = measure(pg, client, user, calls, status)

    # Listing: the first page, the next one by the cursor it returned, a deep one.
    first = client.ok(user, "GET", "/api/documents", params={"limit": PAGE}).json()
    assert first["nextCursor"], f"{user} has a single page of {PAGE}"
    run("list1", [("GET", "/api/documents", None, {"limit": PAGE})] * total)
    run("list2", [("GET", "/api/documents", None, {"limit": PAGE, "cursor": first["nextCursor"]})] * total)
    if deep_offset:
        cursor, _ = cursor_at(pg, user, deep_offset)
        deep = client.ok(user, "GET", "/api/documents", params={"limit": PAGE, "cursor": cursor}).json()
        assert len(deep["documents"]) == PAGE, deep
        run("list_deep", [("GET", "/api/documents", None, {"limit": PAGE, "cursor": cursor})] * total)

    # Downloads of the user's own ready documents, picked at random from all of them.
    own = [row[0] for row in pg.psql(f"SELECT id FROM documents WHERE owner_id = '{user}' AND status = 'ready' "
                                     f"ORDER BY random() LIMIT {total}")]
    run("download", [("GET", f"/api/documents/{own[i % len(own)]}/download", None, None) for i in range(total)])
    run("usage", [("GET", "/api/usage", None, None)] * total)

    # Presign, the objects uploaded (not measured), confirm; share and unshare each with another
    # user; Uppy; then delete them.
    presigned = []
    log(f"  {user}: {LABELS['presign']} x {total}")
    for _ in range(WARMUP):
        client.ok(user, "POST", "/api/uploads/presign", PRESIGN)
    pg.psql("SELECT pg_stat_statements_reset()")
    latencies = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        presigned.append(client.ok(user, "POST", "/api/uploads/presign", PRESIGN).json())
        latencies.append((time.perf_counter() - started) * 1000)
    ms, statements = statement_time(pg)
    out["presign"] = {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99), "pg_us": ms * 1000 / REQUESTS,
                      "statements": statements / REQUESTS, "failed": 0, "n": REQUESTS, "costliest": costliest(pg)}
    extra = [client.ok(user, "POST", "/api/uploads/presign", PRESIGN).json() for _ in range(WARMUP)]
    for p in extra + presigned:
        post_form(p)
    uploaded = [p["fileId"] for p in extra + presigned]
    run("confirm", [("POST", "/api/uploads/confirm", {"fileId": f}, None) for f in uploaded])
    recipients = [f"{user}-friend-{i}" for i in range(total)]
    run("share", [("POST", f"/api/documents/{f}/shares", {"userId": r}, None) for f, r in zip(uploaded, recipients)], (201,))
    run("unshare", [("DELETE", f"/api/documents/{f}/shares/{quote(r, safe='')}", None, None) for f, r in zip(uploaded, recipients)],
        (204,))
    run("uppy_params", [("GET", UPPY + "/params", None, {"filename": "scale.pdf", "type": "application/pdf"})] * total)
    made = client.ok(user, "POST", UPPY + "/multipart", {"filename": "scale.bin", "type": "application/octet-stream",
                                                        "metadata": {"name": "scale.bin"}}).json()
    base, key = f"{UPPY}/multipart/{quote(made['uploadId'], safe='')}", {"key": made["key"]}
    run("uppy_sign_part", [("GET", base + "/1", None, key)] * total)
    run("uppy_list_parts", [("GET", base, None, key)] * total)
    client.ok(user, "DELETE", base, params=key)
    run("delete", [("DELETE", f"/api/documents/{f}", None, None) for f in uploaded], (204,))
    return out


def measure_quotas(pg, client, users):
    """presign and usage with quotas on, per user."""
    out = {}
    total = WARMUP + REQUESTS
    for user in users:
        log(f"  {user}: quotas on")
        presign = measure(pg, client, user, [("POST", "/api/uploads/presign", PRESIGN, None)] * total)
        usage = measure(pg, client, user, [("GET", "/api/usage", None, None)] * total)
        out[user] = {"presign_quota": presign, "usage_quota": usage}
    return out


def sweeps(pg, env):
    """`presignd sweep --dry-run` SWEEPS times: (median s, max s, PostgreSQL ms per run, rows it listed)."""
    must(presignd(env, "sweep", "--dry-run"))
    pg.psql("SELECT pg_stat_statements_reset()")
    seconds, rows = [], None
    for _ in range(SWEEPS):
        s, out = must(presignd(env, "sweep", "--dry-run"))
        seconds.append(s)
        rows = re.search(r"(\d+) row\(s\)", out.stdout).group(1)
    ms, _ = statement_time(pg)
    return {"median": statistics.median(seconds), "max": max(seconds), "pg_ms": ms / SWEEPS, "rows": rows,
            "costliest": costliest(pg)}


# --- the audit log -----------------------------------------------------------------------------

def readme_audit_queries():
    """The audit-log SQL README.md shows operators (`SELECT … FROM audit_log …`)."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    found = re.findall(r"`(SELECT [^`]*FROM audit_log\b[^`]*)`", text)
    assert found, "README.md shows no audit-log query any more"
    return found


def audit_explains(pg, actors):
    """EXPLAIN (ANALYZE, BUFFERS) of README's queries for each actor, and the same query for the
    history of one document of the actor's (resource instead of actor): [(query, ms, rows, plan
    summary)]."""
    out, resource_of = [], {}
    for who in actors:
        found = pg.psql(f"SELECT resource FROM audit_log WHERE actor = '{who}' ORDER BY at DESC LIMIT 1")
        resource_of[who] = found[0][0] if found else None
    for template in readme_audit_queries():
        actor = re.search(r"actor = '([^']*)'", template)
        variants = []
        for who in actors:
            variants.append(template.replace(actor.group(0), f"actor = '{who}'") if actor else template)
            if actor and resource_of.get(who):
                variants.append(template.replace(actor.group(0), f"resource = '{resource_of[who]}'"))
        for sql in variants:
            rows = pg.psql(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            plan = json.loads("\n".join("\t".join(row) for row in rows))[0]
            node, nodes = plan["Plan"], []
            while node and len(nodes) < 3:
                nodes.append(node["Node Type"] + (f" ({node['Index Name']})" if "Index Name" in node else "")
                             + (f" x{len(node['Plans'])}" if node["Node Type"] in ("Append", "Merge Append") else ""))
                node = node.get("Plans", [None])[0]
            out.append((sql, plan["Execution Time"] + plan.get("Planning Time", 0), plan["Plan"]["Actual Rows"],
                        " > ".join(nodes)))
    return out


# --- the migrations under load -----------------------------------------------------------------

class Writer(threading.Thread):
    """A background client sending request() again and again (SCALE_WRITER_PAUSE apart) while
    `when(phase)` (always when None); each request's seconds and success recorded under the phase
    that was running (phase[0])."""

    def __init__(self, name, base, request, phase, when=None):
        super().__init__(daemon=True)
        self.name, self.base, self.request, self.phase, self.when = name, base, request, phase, when
        self.samples = []
        self.done = threading.Event()

    def run(self):
        session = requests.Session()
        while not self.done.is_set():
            phase = self.phase[0]
            if self.when is not None and not self.when(phase):
                time.sleep(0.05)
                continue
            started = time.monotonic()
            try:
                ok = self.request(session, self.base)
            except requests.RequestException:
                ok = False
            self.samples.append((phase, time.monotonic() - started, ok))
            time.sleep(WRITER_PAUSE)

    def stop(self):
        self.done.set()
        self.join(timeout=180)


def writers(base, pg, phase):
    """Presign (documents and audit_log), download (documents, document_shares, audit_log) and,
    once migration 5 has added the column, share + unshare (document_shares) as one fill user."""
    user, doc = pg.psql("SELECT owner_id, id FROM documents WHERE status = 'ready' AND owner_id LIKE 'u%' LIMIT 1")[0]
    auth = {"Authorization": "Bearer " + token(user, lifetime=6 * 3600)}

    def presign(s, base):
        return s.post(base + "/api/uploads/presign", json=PRESIGN, headers=auth, timeout=120).status_code == 200

    def download(s, base):
        return s.get(f"{base}/api/documents/{doc}/download", headers=auth, timeout=120).status_code == 200

    def share(s, base):
        shared = s.post(f"{base}/api/documents/{doc}/shares", json={"userId": "writer-friend"}, headers=auth, timeout=120)
        removed = s.delete(f"{base}/api/documents/{doc}/shares/writer-friend", headers=auth, timeout=120)
        return shared.status_code == 201 and removed.status_code == 204

    return [Writer("presign", base, presign, phase), Writer("download", base, download, phase),
            Writer("share + unshare", base, share, phase, when=after_migration_5)]


def after_migration_5(phase):
    """Phases are "VERSION#ATTEMPT" while `presignd migrate --to VERSION` runs, then "current#ATTEMPT"."""
    version = phase.split("#")[0]
    return version == "current" or (version.isdigit() and int(version) > 5)


def migrations(pg, env, base):
    """Each migration after the fill's schema on its own (`presignd migrate --to N`), with the
    background writers running; then `presignd migrate` (partitions). Returns the rows of the
    migration table and the writers' summaries."""
    names = dict(pg.psql("SELECT version, name FROM schema_migrations"))
    phase = ["start"]
    clients = writers(base, pg, phase)
    for w in clients:
        w.start()
    time.sleep(2)
    rows = []
    current = int(max(map(int, names))) if names else FILL_SCHEMA_VERSION
    try:
        version = current + 1
        while True:
            log(f"  migrate --to {version}")
            attempts = migrate_as_configured(env, "--to", str(version),
                                             attempt=lambda number: phase.__setitem__(0, f"{version}#{number}"))
            _, seconds, out = attempts[-1]
            if "applied nothing" in out.stdout:
                break
            log(f"    {out.stdout.strip()} ({seconds:.1f} s)")
            rows.append((version, attempts))
            version += 1
        rows.append(("current", migrate_as_configured(env, attempt=lambda number: phase.__setitem__(0, f"current#{number}"))))
        time.sleep(2)
    finally:
        for w in clients:
            w.stop()
    names = dict(pg.psql("SELECT version::text, name FROM schema_migrations"))
    summary = {}
    for w in clients:
        for ph, seconds, ok in w.samples:
            s = summary.setdefault((w.name, ph), {"n": 0, "failed": 0, "slow": 0, "max": 0.0})
            s["n"] += 1
            s["failed"] += 0 if ok else 1
            s["slow"] += 1 if seconds > 1 else 0
            s["max"] = max(s["max"], seconds)
    return rows, names, summary, [w.name for w in clients]


def sizes(pg):
    """[(table, rows, heap bytes, index bytes, {index: bytes})] of the big tables (audit_log: its
    partitions together)."""
    out = []
    for table in ("documents", "document_shares", "upload_usage", "audit_log"):
        rels = [table] if table != "audit_log" else [r[0] for r in pg.psql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'audit_log'::regclass")]
        names = ",".join(f"'{r}'" for r in rels)
        rows, heap = pg.psql(f"SELECT coalesce(sum(c.reltuples), 0)::bigint, coalesce(sum(pg_table_size(c.oid)), 0) "
                             f"FROM pg_class c WHERE c.relname IN ({names})")[0]
        indexes = {}
        for index, parent, size in pg.psql(
                f"SELECT c.relname, coalesce(p.relname, c.relname), pg_relation_size(c.oid) FROM pg_index i "
                f"JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
                f"LEFT JOIN pg_inherits h ON h.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = h.inhparent "
                f"WHERE t.relname IN ({names})"):
            indexes[parent] = indexes.get(parent, 0) + int(size)
        out.append((table, int(rows), int(heap), sum(indexes.values()), indexes))
    return out


# --- the report --------------------------------------------------------------------------------

def gb(n):
    return f"{n / 2 ** 30:.2f} GiB" if n >= 2 ** 30 else f"{n / 2 ** 20:.0f} MiB" if n >= 2 ** 20 else f"{n / 1024:.0f} KiB"


def ratio(a, b):
    return a / b if b else float("nan")


def route_table(empty, large, users):
    """route | user | empty p50/p99 | large p50/p99 | ratio p50 (p99) | PG µs/req empty | large | ratio | targets."""
    lines = [f"| route | user | empty p50 / p99 ms | {LARGE} p50 / p99 ms | ratio p50 (p99) | PG µs/req empty | "
             f"{LARGE} | ratio | targets |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    misses, over = [], []
    for key, label in ROUTES:
        for user in users:
            got = large.get(user, {}).get(key)
            base = empty.get(BASELINE.get(key, key))
            if not got or not base:
                continue
            r50, r99, rpg = ratio(got["p50"], base["p50"]), ratio(got["p99"], base["p99"]), ratio(got["pg_us"], base["pg_us"])
            verdict = []
            if r50 > 2 or rpg > 2:
                verdict.append("**over 2x**")
                misses.append(f"{label} as {user}: p50 {r50:.2f}x, PostgreSQL {rpg:.2f}x")
            if key in LISTING:
                if got["p99"] > 10:
                    verdict.append("**p99 > 10 ms**")
                    misses.append(f"{label} as {user}: p99 {got['p99']:.2f} ms")
                else:
                    verdict.append("p99 ≤ 10 ms")
            failed = got["failed"] + base["failed"]
            if failed:
                verdict.append(f"{failed} failed")
            if got["n"] < REQUESTS:
                verdict.append(f"{got['n']} requests (SCALE_ROUTE_SECONDS)")
            if r50 > 2 or rpg > 2:
                over.append((label, user, got, base))
            lines.append(f"| {label} | {user} | {base['p50']:.2f} / {base['p99']:.2f} | {got['p50']:.2f} / {got['p99']:.2f} | "
                         f"{r50:.2f} ({r99:.2f}) | {base['pg_us']:.0f} | {got['pg_us']:.0f} | {rpg:.2f} | "
                         f"{', '.join(verdict) or 'within 2x'} |")
    return "\n".join(lines), misses, over


def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-scale-")
    os.chmod(work, 0o755)
    report = {}
    with Stopping() as stopped:
        stopped.append(lambda: shutil.rmtree(work, ignore_errors=True))
        pg = PostgresWithStatements(settings=PG_SETTINGS)
        stopped.append(pg.destroy)  # stops the cluster and removes its data directory
        s3 = ministack.start()
        stopped.append(s3.stop)
        env = stack_env(pg, s3, PURPOSES, SECRET, PRESIGND_UPPY_PURPOSE="document", PRESIGND_TEST_DELAY="0",
                        PGCONNECT_TIMEOUT="5")
        quota_env = dict(env, PRESIGND_PURPOSES=json.dumps(
            {name: dict(p, quotaFiles=100_000_000, quotaBytes=10 ** 15) for name, p in PURPOSES.items()}))
        stack = []

        def start(name, environment):
            server, proxy = start_stack(os.path.join(work, name), environment, workers=WORKERS, threads=THREADS,
                                        keepalive=16)
            stack.append((server, proxy))
            return Client(proxy.url)

        def stop():
            while stack:
                stop_stack(*stack.pop())
        stopped.append(stop)

        # a. Empty.
        log("a. the empty schema")
        pg.psql("CREATE EXTENSION pg_stat_statements")
        seed_empty(pg, env)
        client = start("empty", env)
        empty = measure_user(pg, client, USER)
        report["sweep_empty"] = sweeps(pg, env)
        if QUOTAS:
            must(presignd(quota_env, "migrate"))
            stop()
            client = start("empty-quotas", quota_env)
            empty.update(measure_quotas(pg, client, [USER])[USER])
        report["audit_empty"] = audit_explains(pg, [USER])
        stop()

        # b. The fill at schema 4, the migrations under load.
        log(f"b. the fill: {DOCUMENTS:,} documents")
        admin_psql(pg, f"DROP DATABASE {pg.database} WITH (FORCE)")
        admin_psql(pg, f"CREATE DATABASE {pg.database}")
        pg.psql("CREATE EXTENSION pg_stat_statements")
        must(presignd(env, "migrate", "--to", str(FILL_SCHEMA_VERSION)))
        for name, value in FILL_ONLY_SETTINGS.items():
            pg.set(name, value)
        started = time.monotonic()
        report["fill"] = FILL.run(pg)
        report["fill"]["total"] = time.monotonic() - started
        log(f"  filled in {report['fill']['total']:.0f} s: {report['fill']}")
        for name in FILL_ONLY_SETTINGS:
            pg.set(name, None)
        report["vacuum_before"] = timed_sql(pg, "VACUUM (ANALYZE)")
        report["checkpoint"] = timed_sql(pg, "CHECKPOINT")
        log(f"  VACUUM (ANALYZE) {report['vacuum_before']:.0f} s, CHECKPOINT {report['checkpoint']:.0f} s")
        client = start("migrating", env)
        report["migrations"] = migrations(pg, env, client.base)
        stop()
        report["vacuum_after"] = timed_sql(pg, "VACUUM (ANALYZE)")
        pg.psql("CHECKPOINT")
        report["sizes"] = sizes(pg)
        report["counts"] = pg.psql(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(DISTINCT owner_id) FROM documents), "
            "(SELECT count(*) FROM document_shares), (SELECT count(*) FROM audit_log), "
            f"(SELECT count(*) FROM documents WHERE owner_id = '{USER}' AND status = 'ready'), "
            f"(SELECT count(*) FROM document_shares WHERE user_id = '{USER}'), "
            f"(SELECT count(*) FROM documents WHERE owner_id = '{WHALE}' AND status = 'ready'), "
            f"(SELECT count(*) FROM document_shares WHERE user_id = '{WHALE}')")[0]

        # c. Every route at that size, then d.
        log(f"c. the routes at {LARGE} documents")
        client = start("large", env)
        whale_ready = int(report["counts"][6])
        large = {USER: measure_user(pg, client, USER), WHALE: measure_user(pg, client, WHALE, deep_offset=whale_ready // 2)}
        report["sweep_large"] = sweeps(pg, env)
        stop()
        if QUOTAS:
            client = start("large-quotas", quota_env)
            for user, results in measure_quotas(pg, client, [USER, WHALE]).items():
                large[user].update(results)
            stop()
        report["audit_large"] = audit_explains(pg, [USER, FILL.user_id(USERS // 2), WHALE])
        report["settings"] = pg.psql("SELECT name, current_setting(name), '' FROM pg_settings WHERE name IN "
                                     "('shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', "
                                     "'max_wal_size', 'synchronous_commit', 'fsync', 'random_page_cost', "
                                     "'max_parallel_maintenance_workers', 'max_parallel_workers_per_gather') ORDER BY name")
        report["version"] = pg.psql("SHOW server_version")[0][0]
    print_report(report, empty, large)


def print_report(report, empty, large):
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    settings = ", ".join(f"{n}={s}{u}" for n, s, u in report["settings"])
    print(f"\n## Scale at {LARGE} documents\n")
    print(f"Machine: {os.cpu_count()} cores, {mem:.0f} GiB RAM; PostgreSQL {report['version']} ({settings}; "
          f"pg_stat_statements, planning tracked); presignd {WORKERS} workers x {THREADS} threads behind nginx (1 worker), "
          f"ministack; {time.strftime('%Y-%m-%d')}. Requests: {REQUESTS} sequential per route after {WARMUP} unmeasured, "
          f"one kept-alive connection (Python requests), listing pages of {PAGE}.\n")
    c = [int(x) for x in report["counts"]]
    print(f"Data: {c[0]:,} documents of {c[1]:,} owners (whales: "
          f"{', '.join(f'{n} {s:,}' for n, s in WHALES)}), {c[2]:,} shares, {c[3]:,} audit rows over {AUDIT_MONTHS} monthly "
          f"partitions; {USER}: {c[4]} ready documents, {c[5]} shared with her; {WHALE}: {c[6]:,} ready, {c[7]} shared "
          f"with it.\n")
    f = report["fill"]
    print(f"Fill (fsync off): {f['total']:.0f} s (rows {f['rows']:.0f} s, shares and the rest {f['shares']:.0f} s); "
          f"VACUUM (ANALYZE) {report['vacuum_before']:.0f} s, CHECKPOINT {report['checkpoint']:.0f} s; after the "
          f"migrations VACUUM (ANALYZE) {report['vacuum_after']:.0f} s.\n")

    table, misses, over = route_table(empty, large, [USER, WHALE])
    print(table)
    se, sl = report["sweep_empty"], report["sweep_large"]
    if ratio(sl["median"], se["median"]) > 2 or ratio(sl["pg_ms"], se["pg_ms"]) > 2:
        over.append(("`presignd sweep --dry-run`", "the sweeper", sl, se))
        misses.append(f"`presignd sweep --dry-run`: {ratio(sl['median'], se['median']):.2f}x the time, PostgreSQL "
                      f"{ratio(sl['pg_ms'], se['pg_ms']):.2f}x")
    print(f"| `presignd sweep --dry-run` (whole process) | — | {se['median'] * 1000:.0f} / {se['max'] * 1000:.0f} | "
          f"{sl['median'] * 1000:.0f} / {sl['max'] * 1000:.0f} | {ratio(sl['median'], se['median']):.2f} | "
          f"{se['pg_ms'] * 1000:.0f} | {sl['pg_ms'] * 1000:.0f} | {ratio(sl['pg_ms'], se['pg_ms']):.2f} | "
          f"median / max of {SWEEPS} runs; {sl['rows']} rows listed |")

    rows, names, summary, writer_names = report["migrations"]
    print(f"\n**Migrations** (`presignd migrate --to N` one at a time on the filled tables; background clients "
          f"{SCALE_WRITERS_NOTE}; their figures are per run):\n")
    print("| migration | run | seconds | " + " | ".join(f"{w}: requests / failed / > 1 s / max ms" for w in writer_names) + " |")
    print("| --- | --- | ---: | " + " | ".join("---:" for _ in writer_names) + " |")
    for version, attempts in rows:
        name = names.get(str(version), "") if version != "current" else "partitions (no migration left)"
        for number, (how, seconds, out) in enumerate(attempts, 1):
            result = "ok" if out.returncode == 0 else "**failed**: " + " ".join((out.stdout + out.stderr).split())[:160]
            cells = []
            for w in writer_names:
                s = summary.get((w, f"{version}#{number}"))
                cells.append(f"{s['n']} / {s['failed']} / {s['slow']} / {s['max'] * 1000:.0f}" if s else "—")
            print(f"| {version}: {name} | {how}: {result} | {seconds:.1f} | " + " | ".join(cells) + " |")

    print("\n**Sizes** after VACUUM (ANALYZE):\n")
    print("| table | rows | table | indexes | indexes, each |")
    print("| --- | ---: | ---: | ---: | --- |")
    for table, n, heap, index_bytes, indexes in report["sizes"]:
        each = ", ".join(f"{k} {gb(v)}" for k, v in sorted(indexes.items(), key=lambda kv: -kv[1]))
        print(f"| {table} | {n:,} | {gb(heap)} | {gb(index_bytes)} | {each} |")

    print("\n**README's audit-log query** (EXPLAIN (ANALYZE, BUFFERS); the same query by resource for a document's "
          "history):\n")
    print("| size | query | rows | ms | plan |")
    print("| --- | --- | ---: | ---: | --- |")
    for size, results in (("empty", report["audit_empty"]), (LARGE, report["audit_large"])):
        for sql, ms, n, plan in results:
            print(f"| {size} | `{sql}` | {n:,} | {ms:.2f} | {plan} |")

    if over:
        print("\n**Over 2x: where PostgreSQL's time went** (pg_stat_statements, the two costliest statements of each "
              "route, at both sizes: ms over all calls, calls, mean µs; shared buffers found and read, from the OS, per "
              "call; WAL full-page images written per call):\n")
        for label, user, got, base in over:
            print(f"- {label} as {user}:")
            for size, result in ((LARGE, got), ("empty", base)):
                for ms, calls, blocks, text in result["costliest"]:
                    shown = text if len(text) <= 160 else text[:157] + "..."
                    print(f"  - {size}: {ms:,.1f} ms / {calls} = {ms * 1000 / max(calls, 1):,.0f} µs; per call "
                          f"{blocks['hit']:.1f} buffers hit, {blocks['read']:.1f} read, {blocks['fpi']:.1f} WAL full-page "
                          f"images: `{shown}`")
    print("\n**Targets**: every route within 2x of the empty table's cost (p50 and PostgreSQL time per request), "
          "every listing page's p99 ≤ 10 ms.")
    print("Missed: " + ("; ".join(misses) if misses else "none") + ".")


SCALE_WRITERS_NOTE = (f"presign, download and share + unshare (from migration 6: the column they write comes with 5), "
                      f"each one request at a time, {WRITER_PAUSE * 1000:.0f} ms apart, through the same nginx and presignd")


if __name__ == "__main__":
    main()
