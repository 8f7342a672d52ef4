"""A second host (issue 11 §6): two presignd hosts, each in a network namespace the test makes
(`ip netns`, a veth pair, a private 10.231.K.0/30 and 10.232.K.0/30 that exist only for the
run), each serving FastCGI over TCP on its own address, behind one real nginx whose upstream is
nginx/presignd-two-hosts.conf.example, sharing one real PostgreSQL 15 reached over the veth
pairs. Requests spread over both hosts; one host SIGKILLed mid-load: GETs in flight on it are
retried by nginx on the other host (200), a POST nginx had already sent to it is not (nginx's 502,
its outcome unknown to the client), and every acknowledged write is in PostgreSQL with its audit
row. Which host answered is nginx's own record ($upstream_addr, sent back as a header here) and
PostgreSQL's (pg_stat_activity.client_addr). Needs root for the namespaces; skips, saying why,
without. Every process is stopped by PID in a finally, the namespaces deleted."""
import json
import subprocess
import threading
import time

import pytest
import requests

from harness import netns
from harness.common import make_token
from harness.netns import UPSTREAM_HEADER as HEADER, TwoHostNginx
from harness.presignd import MINIMAL_CONFIG

JWT_SECRET = "second-host-jwt-secret-3b5d7f9a1c2e4d6f8a"
PURPOSES = {"document": {"prefix": "documents", "maxSize": 65536}}

NO_NAMESPACES = netns.unavailable()
pytestmark = pytest.mark.skipif(NO_NAMESPACES is not None, reason=f"cannot make network namespaces: {NO_NAMESPACES}")


@pytest.fixture
def two_hosts(tmp_path):
    """(host_a, host_b, nginx, postgres): harness/netns.py's two hosts (2 workers x 8 threads
    each) behind TwoHostNginx, started in order, stopped in reverse by PID."""
    env = dict(MINIMAL_CONFIG, PRESIGND_PURPOSES=json.dumps(PURPOSES), PRESIGND_JWT_HS256_SECRET=JWT_SECRET)
    with netns.two_hosts(tmp_path, env, workers=2, threads=8, PGCONNECT_TIMEOUT="2") as (hosts, pg):
        proxy = TwoHostNginx(tmp_path / "nginx", [h.upstream for h in hosts])
        try:
            proxy.start()
            yield hosts[0], hosts[1], proxy, pg
        finally:
            proxy.stop()


def call(base, method, path, session=requests, body=None, user="alice"):
    started = time.monotonic()
    entry = {"method": method, "path": path, "start": started}
    try:
        r = session.request(method, base + path, json=body, headers={"Authorization": f"Bearer {make_token(user, secret=JWT_SECRET)}"},
                            timeout=20)
    except requests.RequestException as error:
        entry.update(end=time.monotonic(), status="error", error=repr(error)[:200], upstream="")
        return entry
    entry.update(end=time.monotonic(), status=r.status_code, upstream=r.headers.get(HEADER, ""), body=r.text[:200],
                 file_id=None)
    if r.status_code == 200 and path == "/api/uploads/presign":
        entry["file_id"] = r.json()["fileId"]
    return entry


def presign(base, session=requests, user="alice"):
    body = {"purpose": "document", "fileName": "report.pdf", "contentType": "application/pdf", "fileSize": 100}
    return call(base, "POST", "/api/uploads/presign", session, body, user)


def written(pg, entries):
    """(acknowledged file ids, those without a row, those without an audit row, rows in all)."""
    acked = {e["file_id"] for e in entries if e["method"] == "POST" and e["status"] == 200}
    rows = {r[0] for r in pg.psql("SELECT id::text FROM documents")}
    audited = {r[0].removeprefix("document:") for r in pg.psql(
        "SELECT resource FROM audit_log WHERE action = 'upload.presign'")}
    return acked, sorted(acked - rows), sorted(acked - audited), rows


def test_requests_spread_over_both_hosts(two_hosts):
    a, b, proxy, pg = two_hosts
    entries, lock = [], threading.Lock()

    def client(n):
        session = requests.Session()
        for i in range(20):
            entry = presign(proxy.url, session, user=f"user-{n}") if i % 2 else call(proxy.url, "GET", "/api/documents", session, user=f"user-{n}")
            with lock:
                entries.append(entry)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(entries) == 80 and [e for e in entries if e["status"] != 200] == []
    per_host = {h.upstream: sum(1 for e in entries if e["upstream"] == h.upstream) for h in (a, b)}
    assert sum(per_host.values()) == 80, {e["upstream"] for e in entries}
    assert min(per_host.values()) >= 20, per_host  # round robin: about 40 each
    for method in ("GET", "POST"):
        assert {e["upstream"] for e in entries if e["method"] == method} == {a.upstream, b.upstream}, method
    # PostgreSQL's view: both hosts hold connections, each from its own namespace's address.
    clients = {r[0] for r in pg.psql("SELECT DISTINCT host(client_addr) FROM pg_stat_activity "
                                     "WHERE application_name = 'presignd'")}
    assert clients == {a.namespace.address, b.namespace.address}, clients
    acked, no_row, no_audit, _ = written(pg, entries)
    assert len(acked) == 40 and no_row == [] and no_audit == []
    print(f"\nrequests per host: {per_host}; PostgreSQL clients: {sorted(clients)}")


def test_one_host_killed_mid_load(two_hosts):
    a, b, proxy, pg = two_hosts
    base = proxy.url
    a_workers = sorted(a.worker_pids())
    entries, stop, lock = [], threading.Event(), threading.Lock()

    def keep(entry):
        with lock:
            entries.append(entry)

    # 1. Four slow GETs (GET /healthz?delay_ms, PRESIGND_TEST_DELAY) sent together before any other
    #    traffic: nginx's round robin puts two on each host, so two are in flight on B when it dies.
    slow = [threading.Thread(target=lambda: keep(call(base, "GET", "/healthz?delay_ms=3000"))) for _ in range(4)]
    for t in slow:
        t.start()
    time.sleep(0.3)

    # 2. Load: 3 readers and 3 writers on keep-alive sessions.
    def client(kind, n):
        session = requests.Session()
        while not stop.is_set():
            keep(presign(base, session, user=f"writer-{n}") if kind == "POST"
                 else call(base, "GET", "/api/documents", session, user=f"reader-{n}"))

    clients = [threading.Thread(target=client, args=(kind, n)) for kind in ("GET", "POST") for n in range(3)]
    for t in clients:
        t.start()
    locker, extra = None, []
    try:
        time.sleep(0.5)
        # 3. Hold writes in PostgreSQL (reads go on), so that presigns are in flight on B when it
        #    dies: a table lock in a psql session, at most ~1.5 s (statement timeout is 5 s).
        locker = subprocess.Popen(["psql", "-X", "-q", "-d", pg.url], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, text=True)
        locker.stdin.write("BEGIN;\nLOCK TABLE documents IN EXCLUSIVE MODE;\n")
        locker.stdin.flush()
        waiting_on_b = ("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'presignd' "
                        f"AND wait_event_type = 'Lock' AND host(client_addr) = '{b.namespace.address}'")
        deadline = time.monotonic() + 5
        while pg.psql(waiting_on_b)[0][0] == "0":
            assert time.monotonic() < deadline, "no presign from host B reached PostgreSQL"
            if len(extra) < 6:  # a presign more, in case every writer happened to be on A
                extra.append(threading.Thread(target=lambda: keep(presign(base, user="extra"))))
                extra[-1].start()
            time.sleep(0.1)

        # 4. Host B dies: supervisor and workers SIGKILLed at once.
        killed_at = time.monotonic()
        b.kill_host()
        time.sleep(0.7)
        locker.stdin.write("ROLLBACK;\n\\q\n")
        locker.stdin.close()
        locker.wait(timeout=10)
        time.sleep(1.5)
    finally:
        stop.set()
        if locker is not None and locker.poll() is None:
            locker.kill()
            locker.wait()
        for t in clients + slow + extra:
            t.join(timeout=30)

    a_address, b_address = a.upstream, b.upstream
    others = [e for e in entries if e["status"] not in (200, 502)]
    assert others == [], others[:5]  # no 500, no 503, no dropped connection
    gets = [e for e in entries if e["method"] == "GET"]
    assert all(e["status"] == 200 for e in gets), [e for e in gets if e["status"] != 200][:5]
    retried = [e for e in gets if e["upstream"] == f"{b_address}, {a_address}"]
    assert [e for e in retried if e["path"].startswith("/healthz")], \
        "a GET in flight on the killed host was retried by nginx on the other"
    posts = [e for e in entries if e["method"] == "POST"]
    failed = [e for e in posts if e["status"] == 502]
    assert failed, "the presign in flight on the killed host was not resent"
    # What the client sees: nginx's own 502 page, naming no host, from the killed host alone.
    assert all(e["upstream"] == b_address and "502 Bad Gateway" in e["body"] for e in failed), failed
    assert all(e["end"] >= killed_at for e in failed)
    settled = [e for e in entries if e["start"] >= killed_at + 0.5]
    assert settled and all(e["status"] == 200 and e["upstream"] == a_address for e in settled), \
        [e for e in settled if e["status"] != 200 or e["upstream"] != a_address][:5]
    assert sorted(a.worker_pids()) == a_workers, "host A served on undisturbed"

    acked, no_row, no_audit, rows = written(pg, entries)
    assert no_row == [] and no_audit == [], (no_row[:5], no_audit[:5])
    unacknowledged = rows - acked
    assert len(unacknowledged) <= len(failed)  # a 502'd presign may have committed: nothing else is extra
    print(f"\none host killed: {len(gets)} GETs all 200 ({len(retried)} retried by nginx on the other host), "
          f"{len(posts)} POSTs: {len(posts) - len(failed)} × 200, {len(failed)} × 502; "
          f"{len(acked)} acknowledged writes all in PostgreSQL, {len(unacknowledged)} of the 502'd presigns committed anyway")
