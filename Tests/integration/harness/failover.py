"""Database failover as the tests and bench/failover.py run it: a primary PostgreSQL 15 and a
streaming standby (`pg_basebackup -R`), presignd (behind a real nginx) given both in one libpq
multi-host URL with `target_session_attrs=read-write`, keep-alive clients presigning and listing
while something happens, and what the new primary must then hold. Every process is stopped by PID."""
import json
import threading
import time

import requests

from .common import make_token
from .postgres import PostgresCluster, PostgresStandby
from .presignd import MINIMAL_CONFIG
from .stack import migrate, start_stack, stop_stack

JWT_SECRET = "failover-jwt-secret-6a0d2c4e8f1b3a5c7e9d"
PURPOSES = {"document": {"prefix": "documents", "maxSize": 65536}}
LIVENESS_BOUND = 30.0  # seconds: presignd must follow within this; the ≤ 2 s target is a benchmark figure


def multi_host_url(*clusters, attrs="read-write"):
    hosts = ",".join(f"127.0.0.1:{c.port}" for c in clusters)
    return f"postgresql://postgres@{hosts}/presignd?target_session_attrs={attrs}"


def presignd_env(url):
    env = dict(MINIMAL_CONFIG)
    env.update(DATABASE_URL=url, PRESIGND_PURPOSES=json.dumps(PURPOSES), PRESIGND_JWT_HS256_SECRET=JWT_SECRET,
               PGCONNECT_TIMEOUT="2", PRESIGND_DB_STATEMENT_TIMEOUT_MS="2000")
    return env


class FailoverStack:
    """Primary, its standby, presignd on the multi-host URL and nginx; `close()` stops each
    one that was started (by PID), in reverse order, whatever failed."""

    def __init__(self, root, synchronous=False, workers=2, threads=4):
        self.root, self.synchronous, self.workers, self.threads = root, synchronous, workers, threads
        self.primary = self.standby = self.server = self.proxy = None

    def __enter__(self):
        try:
            self.primary = PostgresCluster()
            migrate(presignd_env(self.primary.url))
            self.standby = PostgresStandby(self.primary)
            self.wait_for_streaming()
            if self.synchronous:
                # Every commit waits until the standby has flushed it: a crash of the primary then
                # loses no acknowledged write (with asynchronous replication it can lose the last ones).
                self.primary.psql(f"ALTER SYSTEM SET synchronous_standby_names = '{self.standby.name}'")
                self.primary.psql("SELECT pg_reload_conf()")
                self.wait_for_streaming(sync_state="sync")
            # Kept connections stay within presignd's threads (README: workers × threads above keepalive).
            self.server, self.proxy = start_stack(self.root, presignd_env(multi_host_url(self.primary, self.standby)),
                                                  workers=self.workers, threads=self.threads,
                                                  keepalive=min(16, self.workers * self.threads))
            return self
        except BaseException:
            self.close()
            raise

    def wait_for_streaming(self, sync_state=None, timeout=20.0):
        deadline = time.monotonic() + timeout
        condition = f" AND sync_state = '{sync_state}'" if sync_state else ""
        while time.monotonic() < deadline:
            rows = self.primary.psql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
                                     f" AND application_name = '{self.standby.name}'{condition}")
            if rows[0][0] == "1":
                return
            time.sleep(0.05)
        raise TimeoutError("the standby is not streaming from the primary")

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            if self.server is not None:
                stop_stack(self.server, self.proxy)
        finally:
            for cluster in (self.standby, self.primary):
                if cluster is not None:
                    cluster.destroy()


def presign(base, session):
    body = {"purpose": "document", "fileName": "report.pdf", "contentType": "application/pdf", "fileSize": 100}
    return session.post(base + "/api/uploads/presign", json=body, headers={"Authorization": f"Bearer {make_token(secret=JWT_SECRET)}"},
                        timeout=15)


def list_documents(base, session):
    return session.get(base + "/api/documents", headers={"Authorization": f"Bearer {make_token(secret=JWT_SECRET)}"},
                       timeout=15)


def record(kind, started, response):
    ended = time.monotonic()
    entry = {"kind": kind, "start": started, "end": ended, "status": response.status_code,
             "retry_after": response.headers.get("Retry-After"), "code": None, "file_id": None}
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code == 200 and kind == "POST":
        entry["file_id"] = answer["fileId"]
    elif isinstance(answer.get("error"), dict):
        entry["code"] = answer["error"].get("code")
    return entry


def run_load(base, during, post_clients=3, get_clients=2):
    """Keep-alive clients presigning (writes) and listing (reads) until `during(records)`
    returns; `records` fills while they run."""
    records, stop = [], threading.Event()

    def client(kind):
        session = requests.Session()
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = presign(base, session) if kind == "POST" else list_documents(base, session)
                records.append(record(kind, started, response))
            except requests.RequestException as error:
                records.append({"kind": kind, "start": started, "end": time.monotonic(), "status": "error",
                                "error": repr(error)[:200]})

    threads = [threading.Thread(target=client, args=("POST",)) for _ in range(post_clients)]
    threads += [threading.Thread(target=client, args=("GET",)) for _ in range(get_clients)]
    for t in threads:
        t.start()
    try:
        during(records)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    return list(records)


def unexpected_answers(records):
    """What presignd must never answer while the database fails over: anything but a 200 or a
    `503 database_unavailable` with a Retry-After of at least 1 s (a 500, nginx's 502 or 504, a
    dropped connection, a 503 without Retry-After)."""
    return [r for r in records if not (r["status"] == 200 or (
        r["status"] == 503 and r["code"] == "database_unavailable" and r["retry_after"] and int(r["retry_after"]) >= 1))]


def first_write(records, after, by="start"):
    """When (time.monotonic()) the first acknowledged write (200 presign) whose `by` ("start" or
    "end") is at or after `after` was answered, or None."""
    return min((r["end"] for r in records if r["kind"] == "POST" and r["status"] == 200 and r[by] >= after),
               default=None)


def wait_for_write(records, after, by="start", bound=LIVENESS_BOUND):
    """Waits at most `bound` seconds for first_write(records, after, by); returns it or None."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        found = first_write(records[:], after, by)
        if found is not None:
            return found
        time.sleep(0.02)
    return None


def acknowledged_writes_on(cluster, records):
    """The acknowledged writes (2xx presigns) whose document row or audit row `cluster` lacks."""
    acked = {r["file_id"] for r in records if r["kind"] == "POST" and r["status"] == 200}
    documents = {row[0] for row in cluster.psql("SELECT id::text FROM documents")}
    audited = {row[0].removeprefix("document:") for row in cluster.psql(
        "SELECT resource FROM audit_log WHERE action = 'upload.presign'")}
    return acked, sorted(acked - documents), sorted(acked - audited)
