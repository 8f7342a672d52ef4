"""Capacity (issue 25 §4; not a test): what one upload costs, and how many one primary sustains.

One PostgreSQL 15 cluster (bench/floor.py's PostgresWithStatements: pg_stat_statements,
synchronous_commit=on, fsync on; shared_buffers 256MB, checkpoints only when asked), ministack,
and two presignd stacks behind nginx (harness/stack.py, CAPACITY_WORKERS x CAPACITY_THREADS), each
on a database of its own: `plain` (events off, as configured by default, with CDN cookies) and
`hooks` (one webhook endpoint: a receiver in this process answering 204; its first worker delivers).

1. WAL per operation (CAPACITY_PARTS wal): CAPACITY_WAL_UPLOADS presigns, confirms and download
   signings by 8 client threads over CAPACITY_OWNERS users, and confirms with events on (the
   window closes once every event was delivered, so the deliverer's statements are in it); each
   twice, right after a CHECKPOINT (every page it touches first pays a full-page image) and
   straight after that (the steady state between checkpoints). WAL bytes from
   pg_current_wal_insert_lsn(), records and full-page-image bytes by resource manager from
   pg_waldump --stats over the same range; autovacuum off meanwhile, then VACUUM of the tables
   measured the same way (its WAL per upload made).
2. CPU per route (CAPACITY_PARTS cpu): CAPACITY_REQUESTS sequential requests per route on one
   kept-alive connection (after 5 unmeasured), utime+stime of presignd (supervisor and workers),
   nginx and PostgreSQL (postmaster and every backend) from /proc before and after, per request;
   and the client's p50.
3. pgbench (CAPACITY_PARTS pgbench): bench/capacity/*.sql, presignd's own statements for presign
   and confirm (checked first against the texts pg_stat_statements recorded from presignd in 1
   and 2), `pgbench -M prepared -c CAPACITY_PGBENCH_CLIENTS -j 2 -T CAPACITY_PGBENCH_SECONDS` on a
   third database (migrated by presignd) with autovacuum on: the helper statement alone (ids.sql,
   taken off the others), presign, presign + confirm (one upload), the same with events on, one
   upload at a time per owner for a single owner (the event's announcement, a NOTIFY after the
   commit in a statement of its own, included with events on). TPS, PostgreSQL CPU per transaction (/proc),
   uploads per second per PostgreSQL core, pgbench's own CPU, WAL bytes per transaction.

Markdown tables on stdout, progress on stderr. PRESIGND_BINARY: the release presignd.
Knobs: CAPACITY_PARTS (wal,cpu,pgbench), CAPACITY_WAL_UPLOADS (500), CAPACITY_REQUESTS (300),
CAPACITY_OWNERS (10000), CAPACITY_PGBENCH_SECONDS (15), CAPACITY_PGBENCH_CLIENTS (8),
CAPACITY_WORKERS (2), CAPACITY_THREADS (4)."""
import difflib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from common import HERE, SECRET, TICK, Stopping, pg_pid, token  # noqa: F401 (puts the harness on sys.path)
from floor import PostgresWithStatements, cpu_seconds, tree  # noqa: E402
from harness import ministack  # noqa: E402
from harness.common import PNG, PURPOSES, post_form  # noqa: E402
from harness.postgres import PG_BIN  # noqa: E402
from harness.stack import migrate, stack_env, start_stack, stop_stack  # noqa: E402
from harness.webhook_receiver import Receiver  # noqa: E402


def knob(name, default):
    return int(os.environ.get(f"CAPACITY_{name}", default))


PARTS = os.environ.get("CAPACITY_PARTS", "wal,cpu,pgbench").split(",")
WAL_UPLOADS = knob("WAL_UPLOADS", 500)
REQUESTS = knob("REQUESTS", 300)
OWNERS = knob("OWNERS", 10_000)
PGBENCH_SECONDS = knob("PGBENCH_SECONDS", 15)
PGBENCH_CLIENTS = knob("PGBENCH_CLIENTS", 8)
WORKERS, THREADS = knob("WORKERS", 2), knob("THREADS", 4)
CLIENT_THREADS = 8
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PG_SETTINGS = {"shared_buffers": "256MB", "max_wal_size": "8GB", "checkpoint_timeout": "1h"}
SCRIPTS = os.path.join(HERE, "capacity")
# pgbench's -D values: the constants presignd binds for an avatar's presign and confirm.
PGBENCH_DEFINES = {"purpose": "avatar", "file_name": "me.png", "type": "image/png", "pending": "pending", "ready": "ready",
                   "presign_action": "upload.presign", "confirm_action": "upload.confirm", "client": "127.0.0.1",
                   "bucket": "bench", "event_type": "upload.ready", "endpoints": '{"app"}', "endpoint_purposes": '{""}'}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# --- the stacks ----------------------------------------------------------------------------------

class Side:
    """A presignd stack on a database of its own, and clients for it (one session per thread)."""

    def __init__(self, name, pg, s3, work, **extra):
        self.name = name
        pg.psql(f"CREATE DATABASE {name}")
        self.env = stack_env(pg, s3, PURPOSES, SECRET, **extra)
        self.env["DATABASE_URL"] = self.env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name
        migrate(self.env)
        self.server, self.proxy = start_stack(os.path.join(work, name), self.env, workers=WORKERS, threads=THREADS)
        self.local = threading.local()
        self.tokens = {}

    def stop(self):
        stop_stack(self.server, self.proxy)

    def auth(self, user):
        if user not in self.tokens:
            self.tokens[user] = {"Authorization": "Bearer " + token(user, lifetime=6 * 3600)}
        return self.tokens[user]

    def call(self, user, method, path, body=None, params=None, status=(200,)):
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        r = session.request(method, self.proxy.url + path, headers=self.auth(user), json=body, params=params, timeout=60)
        assert r.status_code in status, f"{method} {path}: {r.status_code} {r.text[:300]}"
        return r

    def presign(self, user):
        p = self.call(user, "POST", "/api/uploads/presign",
                      {"purpose": "avatar", "fileName": "me.png", "contentType": "image/png", "fileSize": len(PNG)}).json()
        return user, p

    def confirm(self, upload):
        user, file_id = upload
        return self.call(user, "POST", "/api/uploads/confirm", {"fileId": file_id})

    def many(self, fn, items):
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            return list(pool.map(fn, items))

    def uploaded(self, count, offset=0):
        """`count` presigns (users spread over OWNERS), each object sent to the store: [(user, fileId)]."""
        presigned = self.many(self.presign, [f"user-{(offset + i) % OWNERS}" for i in range(count)])
        self.many(lambda up: post_form(up[1], PNG), presigned)
        return [(user, p["fileId"]) for user, p in presigned]


# --- CPU -----------------------------------------------------------------------------------------

def cpu_ns(roots):
    """Nanoseconds on a CPU of every thread of every process in these trees (/proc/PID/task/TID/
    schedstat: a request's few hundred µs are below /proc/PID/stat's 10 ms ticks), plus the cutime
    and cstime of each process (children that ended and were reaped)."""
    total = 0
    for root in roots:
        for pid in tree(root):
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                        total += int(f.read().split()[0])
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[13]) + int(fields[14])) * 1_000_000_000 // TICK
            except (FileNotFoundError, ProcessLookupError):
                pass
    return total


class Sampler:
    """CPU ns of presignd (supervisor and workers), nginx (master and workers) and PostgreSQL
    (postmaster, backends, background processes) of one stack."""

    def __init__(self, side, pg):
        self.groups = {"presignd": lambda: [side.server.pid], "nginx": lambda: [side.proxy.process.pid],
                       "postgres": lambda: [pg_pid(pg)]}

    def sample(self):
        return {name: cpu_ns(roots()) for name, roots in self.groups.items()}


# --- 1. WAL --------------------------------------------------------------------------------------

def lsn(pg):
    return pg.psql("SELECT pg_current_wal_insert_lsn()")[0][0]


WALDUMP_ROW = re.compile(r"^(\S+)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)\s+\(")
WALDUMP_TOTAL = re.compile(r"^Total\s+(\d+)\s+(\d+)\s+\[[\d.]+%\]\s+(\d+)\s+\[[\d.]+%\]\s+(\d+)")


def waldump(pg, start, end):
    """(records, full-page-image bytes, {resource manager: record + FPI bytes}) between two LSNs,
    from pg_waldump --stats."""
    out = subprocess.run([os.path.join(PG_BIN, "pg_waldump"), "--stats", "-p", os.path.join(pg.data, "pg_wal"), "-s", start,
                          "-e", end], capture_output=True, text=True)
    managers, records, fpi = {}, 0, 0
    for line in out.stdout.splitlines():
        if (total := WALDUMP_TOTAL.match(line)):
            records, fpi = int(total.group(1)), int(total.group(3))
        elif (row := WALDUMP_ROW.match(line)) and int(row.group(2)):
            managers[row.group(1)] = int(row.group(5))
    assert records, f"pg_waldump found nothing between {start} and {end}: {out.stderr[-300:]}"
    return records, fpi, managers


class WalWindow:
    """WAL written between `with` and its end, per operation."""

    def __init__(self, pg, label, after_checkpoint):
        self.pg, self.label, self.after_checkpoint = pg, label, after_checkpoint

    def __enter__(self):
        if self.after_checkpoint:
            self.pg.psql("CHECKPOINT")
        self.start = lsn(self.pg)
        return self

    def close(self, operations):
        end = lsn(self.pg)
        total = int(self.pg.psql(f"SELECT pg_wal_lsn_diff('{end}', '{self.start}')")[0][0])
        # pg_waldump reads only what is on disk: the WAL writer flushes the last asynchronous records.
        wait_for(lambda: self.pg.psql(f"SELECT pg_current_wal_flush_lsn() >= '{end}'")[0][0] == "t", "the WAL flushed", 5)
        records, fpi, managers = waldump(self.pg, self.start, end)
        top = sorted(managers.items(), key=lambda item: -item[1])[:4]
        self.result = {"label": self.label, "after_checkpoint": self.after_checkpoint, "operations": operations,
                       "bytes": total / operations, "records": records / operations, "fpi": fpi / operations,
                       "managers": ", ".join(f"{name} {b / operations:.0f}" for name, b in top)}
        return self.result

    def __exit__(self, *exc):
        return False


def measure_wal(pg, plain, hooks, receiver):
    log("1. WAL per operation")
    pg.set("autovacuum", "off")
    rows = []
    n = WAL_UPLOADS
    # Warm-up: every table has pages and each path's statements are prepared on the connections.
    plain.uploaded(200, offset=OWNERS // 2)
    presigned = []
    for after_checkpoint in (True, False):
        with WalWindow(pg, "presign (POST /api/uploads/presign)", after_checkpoint) as w:
            batch = plain.many(plain.presign, [f"user-{(len(presigned) + i) % OWNERS}" for i in range(n)])
            rows.append(w.close(n))
        presigned += batch
    plain.many(lambda up: post_form(up[1], PNG), presigned)
    uploads = [(user, p["fileId"]) for user, p in presigned]
    for i, after_checkpoint in enumerate((True, False)):
        with WalWindow(pg, "confirm (POST /api/uploads/confirm), events off", after_checkpoint) as w:
            plain.many(plain.confirm, uploads[i * n:(i + 1) * n])
            rows.append(w.close(n))
    for i, after_checkpoint in enumerate((True, False)):
        with WalWindow(pg, "download signing (GET /api/documents/{id}/download)", after_checkpoint) as w:
            plain.many(lambda up: plain.call(up[0], "GET", f"/api/documents/{up[1]}/download"), uploads[i * n:(i + 1) * n])
            rows.append(w.close(n))
    # Events on: confirm writes the event and its delivery; the deliverer marks it delivered.
    hooks_uploads = hooks.uploaded(2 * n)
    hooks.many(hooks.confirm, hooks.uploaded(50, offset=7))
    wait_for(lambda: len(receiver.snapshot()) >= 50, "the warm-up's events delivered")
    for i, after_checkpoint in enumerate((True, False)):
        before = len(receiver.snapshot())
        with WalWindow(pg, "confirm, events on, 1 webhook endpoint (delivered)", after_checkpoint) as w:
            hooks.many(hooks.confirm, hooks_uploads[i * n:(i + 1) * n])
            wait_for(lambda: len(receiver.snapshot()) >= before + n, "every event delivered")
            rows.append(w.close(n))
    # What VACUUM writes later for `plain`'s uploads (200 + 2n presigned, 2n of them confirmed and downloaded).
    start = lsn(pg)
    subprocess.run(["psql", plain.env["DATABASE_URL"], "-XAtq", "-c", "VACUUM documents", "-c", "VACUUM upload_usage",
                    "-c", "VACUUM audit_log"], check=True, capture_output=True)
    vacuum = int(pg.psql(f"SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '{start}')")[0][0])
    pg.set("autovacuum", None)
    return rows, {"bytes": vacuum, "uploads": 200 + 2 * n}


def wait_for(predicate, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.02)


def print_wal(rows, vacuum):
    print(f"\n### WAL per operation ({WAL_UPLOADS} per window, {CLIENT_THREADS} client threads, {OWNERS:,} users)\n")
    print("| operation | window | WAL bytes / op | records / op | of it full-page images, bytes / op | "
          "largest by resource manager (bytes / op) |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for r in rows:
        window = "right after a CHECKPOINT" if r["after_checkpoint"] else "steady (after the first window)"
        print(f"| {r['label']} | {window} | {r['bytes']:,.0f} | {r['records']:.1f} | {r['fpi']:,.0f} | {r['managers']} |")
    by = {(r["label"].split(" (")[0].split(",")[0], r["after_checkpoint"], "events on" in r["label"]): r["bytes"] for r in rows}
    for after in (False, True):
        presign = by[("presign", after, False)]
        plain = presign + by[("confirm", after, False)]
        events = presign + by[("confirm", after, True)]
        window = "right after a CHECKPOINT" if after else "steady"
        print(f"\nOne upload (presign + confirm), {window}: **{plain:,.0f} bytes** of WAL; with events and one endpoint "
              f"(the delivery included): **{events:,.0f} bytes**.")
    print(f"\nVACUUM of documents, upload_usage and audit_log afterwards: {vacuum['bytes']:,} bytes for "
          f"{vacuum['uploads']:,} uploads of `plain` ({vacuum['bytes'] / vacuum['uploads']:,.0f} bytes per upload).")


# --- 2. CPU per route ------------------------------------------------------------------------------

def route(side, cpu, label, calls, status=(200,)):
    """calls: [(user, method, path, body, params)], the first 5 unmeasured."""
    for call in calls[:5]:
        side.call(*call, status=status)
    measured = calls[5:]
    before = cpu.sample()
    latencies = []
    for call in measured:
        started = time.perf_counter()
        side.call(*call, status=status)
        latencies.append((time.perf_counter() - started) * 1000)
    after = cpu.sample()
    n = len(measured)
    us = {k: (after[k] - before[k]) / 1e3 / n for k in after}
    log(f"  {label}: {n} requests, presignd {us['presignd']:.0f} µs, PostgreSQL {us['postgres']:.0f} µs")
    return {"label": label, "n": n, "p50": statistics.median(latencies), **us}


def measure_cpu(pg, plain, hooks, receiver):
    log("2. CPU per route")
    total = REQUESTS + 5
    cpu = Sampler(plain, pg)
    rows = []
    user = "cpu-user"

    def same(method, path, body=None, params=None):
        return [(user, method, path, body, params)] * total

    def each(method, path, ids, body=None):
        return [(user, method, path.format(i), body, None) for i in ids]

    def measure(label, calls, status=(200,)):
        rows.append(route(plain, cpu, label, calls, status))

    presign = {"purpose": "avatar", "fileName": "me.png", "contentType": "image/png", "fileSize": len(PNG)}
    measure("POST /api/uploads/presign", same("POST", "/api/uploads/presign", presign))
    files = plain.many(lambda _: plain.call(user, "POST", "/api/uploads/presign", presign).json(), range(total))
    plain.many(lambda p: post_form(p, PNG), files)
    ids = [p["fileId"] for p in files]
    measure("POST /api/uploads/confirm", [(user, "POST", "/api/uploads/confirm", {"fileId": f}, None) for f in ids])
    measure("GET /api/documents/{id}/download", each("GET", "/api/documents/{}/download", ids))
    measure("GET /api/documents (first page of 20)", same("GET", "/api/documents", params={"limit": 20}))
    measure("GET /api/usage", same("GET", "/api/usage"))
    measure("POST /api/documents/{id}/shares", each("POST", "/api/documents/{}/shares", ids, {"userId": "friend"}), (201,))
    measure("DELETE /api/documents/{id}/shares/{userId}", each("DELETE", "/api/documents/{}/shares/friend", ids), (204,))
    measure("POST /api/auth/cdn-cookies", same("POST", "/api/auth/cdn-cookies"))
    multipart = {"purpose": "document", "fileName": "big.bin", "contentType": "application/octet-stream", "fileSize": 3000}
    measure("POST /api/uploads/multipart (create)", same("POST", "/api/uploads/multipart", multipart))
    made = plain.many(lambda _: plain.call(user, "POST", "/api/uploads/multipart", multipart).json()["fileId"], range(total))
    measure("POST /api/uploads/{id}/parts (sign 1 part)", each("POST", "/api/uploads/{}/parts", made, {"partNumbers": [1]}))
    measure("DELETE /api/uploads/{id} (abort)", each("DELETE", "/api/uploads/{}", made))
    measure("DELETE /api/documents/{id}", each("DELETE", "/api/documents/{}", ids), (204,))
    measure("GET /healthz", [(None, "GET", "/healthz", None, None)] * total)
    # Confirm with events on: the window ends once the receiver has every event.
    hooks_cpu = Sampler(hooks, pg)
    uploaded = hooks.uploaded(total)
    base = len(receiver.snapshot())
    for up in uploaded[:5]:
        hooks.confirm(up)
    wait_for(lambda: len(receiver.snapshot()) >= base + 5, "the warm-up's events")
    before = hooks_cpu.sample()
    latencies = []
    for up in uploaded[5:]:
        started = time.perf_counter()
        hooks.confirm(up)
        latencies.append((time.perf_counter() - started) * 1000)
    wait_for(lambda: len(receiver.snapshot()) >= base + total, "every event delivered")
    after = hooks_cpu.sample()
    us = {k: (after[k] - before[k]) / 1e3 / REQUESTS for k in after}
    rows.append({"label": "POST /api/uploads/confirm, events on, 1 endpoint (its delivery included)", "n": REQUESTS,
                 "p50": statistics.median(latencies), **us})
    return rows


def print_cpu(rows):
    print(f"\n### CPU per request, by route ({REQUESTS} sequential requests each on one kept-alive connection; "
          f"presignd {WORKERS} workers x {THREADS} threads)\n")
    print("| route | p50 ms | presignd µs | nginx µs | PostgreSQL µs | all three µs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['label']} | {r['p50']:.2f} | {r['presignd']:.0f} | {r['nginx']:.0f} | {r['postgres']:.0f} | "
              f"{r['presignd'] + r['nginx'] + r['postgres']:.0f} |")


# --- 3. pgbench ------------------------------------------------------------------------------------

def shape(text):
    """A statement's text with every parameter, pgbench variable and constant as ?, for comparing
    the scripts with what presignd sent (pg_stat_statements shows constants as $n)."""
    text = re.sub(r"--[^\n]*", " ", text).replace("' || chr(58) || '", ":")
    text = re.sub(r"(?<!:):[A-Za-z_]\w*", "?", text)
    text = re.sub(r"'(?:[^']|'')*'|\$\d+|\b\d+\b", "?", text)
    # Also constants to pg_stat_statements: extract's field, true, false and NULL.
    text = re.sub(r"\bextract\(\w+ from ", "extract(? from ", text, flags=re.I)
    text = re.sub(r"\b(?:true|false|null)\b", "?", text, flags=re.I)
    return " ".join(text.split()).rstrip(";").strip()


def script_statements(name):
    """The SQL statements of bench/capacity/NAME.sql (meta-commands and comments left out)."""
    text = "\n".join(line for line in open(os.path.join(SCRIPTS, name + ".sql")).read().splitlines()
                     if not line.startswith("\\") and not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\n|\\gset\n", text) if s.strip()]


def check_scripts(pg):
    """Each statement of presign.sql, confirm.sql and confirm-events.sql is one presignd sent."""
    sent = {shape(q) for q, in pg.psql("SELECT regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements s JOIN pg_database d "
                                       "ON d.oid = s.dbid WHERE d.datname IN ('plain', 'hooks')")}
    checked = []
    for name in ("presign", "confirm", "confirm-events"):
        for statement in script_statements(name):
            if shape(statement) not in sent:
                closest = difflib.get_close_matches(shape(statement), sent, n=1, cutoff=0)
                raise AssertionError(f"bench/capacity/{name}.sql: a statement presignd did not send:\n{shape(statement)}\n"
                                     f"the closest it sent:\n{closest[0] if closest else '-'}")
            checked.append(f"{name}.sql: {' '.join(statement.split())[:70]}…")
    return checked


def pgbench(pg, url, label, fragments, owners):
    script = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False, prefix="capacity-")
    script.write("\n".join(open(os.path.join(SCRIPTS, f + ".sql")).read() for f in fragments))
    script.close()
    args = [os.path.join(PG_BIN, "pgbench"), "-n", "-M", "prepared", f"-c{PGBENCH_CLIENTS}", "-j2", f"-T{PGBENCH_SECONDS}",
            "-f", script.name, "-D", f"owners={owners}"]
    for name, value in PGBENCH_DEFINES.items():
        args += ["-D", f"{name}={value}"]
    pg.psql("CHECKPOINT")
    start = lsn(pg)
    postgres_before = cpu_seconds([pg_pid(pg)])[0]  # its backends end with pgbench: counted when reaped
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args + [url], capture_output=True, text=True)
    os.unlink(script.name)
    assert out.returncode == 0, out.stdout + out.stderr
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    postgres_after = cpu_seconds([pg_pid(pg)])[0]
    wal = int(pg.psql(f"SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '{start}')")[0][0])
    done = int(re.search(r"number of transactions actually processed: (\d+)", out.stdout).group(1))
    failed = int(re.search(r"number of failed transactions: (\d+)", out.stdout).group(1))
    row = {"label": label, "tps": float(re.search(r"tps = ([0-9.]+)", out.stdout).group(1)),
           "latency": float(re.search(r"latency average = ([0-9.]+) ms", out.stdout).group(1)), "done": done, "failed": failed,
           "pg_us": (postgres_after - postgres_before) * 1e6 / done,
           "client_us": ((after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)) * 1e6 / done,
           "wal": wal / done, "load": load()}
    log(f"  {label}: {row['tps']:.0f} tps, PostgreSQL {row['pg_us']:.0f} µs/tx, load {row['load']}")
    return row


def measure_pgbench(pg, s3, plain, hooks):
    log("3. pgbench")
    # presignd's statements for the check (when parts 1 and 2 did not run): a few confirmed uploads on each side.
    for side in (plain, hooks):
        side.many(side.confirm, side.uploaded(5))
    checked = check_scripts(pg)
    pg.psql("CREATE DATABASE pgb")
    env = stack_env(pg, s3, PURPOSES, SECRET)
    url = env["DATABASE_URL"].rsplit("/", 1)[0] + "/pgb"
    migrate(dict(env, DATABASE_URL=url))
    runs = [("the helper statement alone (ids.sql: ids, time, key)", ["ids"], OWNERS),
            ("presign (ids.sql + presign.sql)", ["ids", "presign"], OWNERS),
            ("one upload: presign + confirm (+ confirm.sql)", ["ids", "presign", "confirm"], OWNERS),
            ("one upload, events on, 1 endpoint (+ confirm-events.sql)", ["ids", "presign", "confirm-events"], OWNERS),
            ("one upload, every client the same owner", ["ids", "presign", "confirm"], 1)]
    rows = [pgbench(pg, url, label, fragments, owners) for label, fragments, owners in runs]
    return checked, rows


def print_pgbench(checked, rows):
    helper = rows[0]["pg_us"]
    print(f"\n### pgbench: presignd's statements alone (-M prepared -c{PGBENCH_CLIENTS} -j2 -T{PGBENCH_SECONDS}, "
          f"{OWNERS:,} owners unless said)\n")
    print("Checked against what presignd sent (pg_stat_statements, parameters and constants aside):")
    for line in checked:
        print(f"- {line}")
    print()
    print("| script | tps | latency avg ms | failed | PostgreSQL CPU µs / tx | minus the helper | per PostgreSQL core: tx/s | "
          "pgbench CPU µs / tx | WAL bytes / tx | load (1, 5, 15 min) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for i, r in enumerate(rows):
        net = r["pg_us"] - helper if i else r["pg_us"]
        print(f"| {r['label']} | {r['tps']:,.0f} | {r['latency']:.2f} | {r['failed']} | {r['pg_us']:.0f} | "
              f"{'—' if not i else f'{net:.0f}'} | {'—' if not i else f'{1e6 / net:,.0f}'} | {r['client_us']:.0f} | "
              f"{r['wal']:,.0f} | {r['load']} |")


# --- main ------------------------------------------------------------------------------------------

def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-capacity-")
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    log(f"capacity: {started}, load {load()}, {os.cpu_count()} cores")
    with Stopping() as stopped:
        stopped.append(lambda: shutil.rmtree(work, ignore_errors=True))
        pg = PostgresWithStatements(settings=PG_SETTINGS)
        stopped.append(pg.destroy)
        pg.psql("CREATE EXTENSION pg_stat_statements")
        s3 = ministack.start()
        stopped.append(s3.stop)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_path = os.path.join(work, "cloudfront.pem")
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        os.chmod(key_path, 0o644)
        receiver = Receiver(WHSEC)
        stopped.append(receiver.stop)
        plain = Side("plain", pg, s3, work, PRESIGND_CDN_DOMAIN="cdn.bench.test", PRESIGND_CDN_COOKIE_DOMAIN=".bench.test",
                     PRESIGND_CLOUDFRONT_KEY_PAIR_ID="K2JCJMDEHXQW5F", PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=key_path)
        stopped.append(plain.stop)
        hooks = Side("hooks", pg, s3, work, PRESIGND_WEBHOOKS=json.dumps({"app": {"url": receiver.url, "secrets": [WHSEC]}}))
        stopped.append(hooks.stop)
        print(f"\ncapacity: {started}, {os.cpu_count()} cores, load at start {load()}; presignd {WORKERS} workers x {THREADS} threads; "
              f"PostgreSQL 15, synchronous_commit=on, fsync on, {PG_SETTINGS}")
        if "wal" in PARTS:
            rows, vacuum = measure_wal(pg, plain, hooks, receiver)
            print_wal(rows, vacuum)
        if "cpu" in PARTS:
            print_cpu(measure_cpu(pg, plain, hooks, receiver))
        if "pgbench" in PARTS:
            checked, rows = measure_pgbench(pg, s3, plain, hooks)
            print_pgbench(checked, rows)
        print(f"\nload at the end {load()}")


if __name__ == "__main__":
    main()
