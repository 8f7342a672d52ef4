"""Fault tests (issue 13): real processes on loopback, bounded loops. PostgreSQL stopped at once
under load, the object store stopped during confirms, the store refusing presignd's requests, a
worker SIGKILLed under load, and finally every log file searched for secrets, tokens, signatures
and presigned URLs."""
import os
import pathlib
import signal
import threading
import time

import pytest
import requests

from harness import ministack as _ministack
from harness.common import LOG_SECRET_PATTERNS, PNG, PURPOSES, make_token, post_form
from harness.stack import migrate, running_stack, stack_env

JWT_SECRET = "faults-jwt-secret-5f1c0e9a7b3d2c4e6f8a0b1c2d3e4f50"
DB_PASSWORD = "faults-db-password-7c1e2a"
SEEN = {"tokens": set(), "urls": set(), "signatures": set()}


@pytest.fixture(scope="module")
def store():
    stack = _ministack.start()
    yield stack
    stack.stop()


def environment(postgres, store, **extra):
    return stack_env(
        postgres, store, PURPOSES, JWT_SECRET,
        # trust authentication ignores the password; it is here to prove no log ever shows it
        DATABASE_URL=postgres.url.replace("postgres@", f"postgres:{DB_PASSWORD}@"),
        PGCONNECT_TIMEOUT="1", PRESIGND_DB_STATEMENT_TIMEOUT_MS="2000", **extra,
    )


@pytest.fixture(scope="module")
def stack(postgres, store, module_stack):
    env = environment(postgres, store)
    migrate(env)
    return module_stack("faults", env, workers=2, threads=4)


def token(user="alice"):
    """A token for this module's secret, remembered so that no log may show it."""
    value = make_token(user, secret=JWT_SECRET)
    SEEN["tokens"].add(value)
    return value


def call(base, method, path, body=None, user="alice", session=requests):
    return session.request(method, base + path, json=body, headers={"Authorization": f"Bearer {token(user)}"}, timeout=15)


def presign(base, session=requests, user="alice", method=None):
    body = {"purpose": "avatar", "fileName": "a.png", "contentType": "image/png", "fileSize": len(PNG)}
    if method:
        body["method"] = method
    r = call(base, "POST", "/api/uploads/presign", body, user=user, session=session)
    if r.status_code == 200:
        answer = r.json()
        if "X-Amz-Signature=" in answer["url"]:
            SEEN["urls"].add(answer["url"])
            SEEN["signatures"].add(answer["url"].split("X-Amz-Signature=")[1].split("&")[0])
        for name, value in answer.get("fields", {}).items():
            if name.lower() in ("x-amz-signature", "policy"):
                SEEN["signatures"].add(value)
    return r


def run_load(base, seconds, during=None):
    """Three keep-alive clients presigning and listing for `seconds`; `during()` runs meanwhile."""
    results, stop = [], threading.Event()

    def client():
        session = requests.Session()
        while not stop.is_set():
            try:
                kind = len(results) % 3
                r = call(base, "GET", "/api/documents", session=session) if kind == 0 else \
                    presign(base, session, method="PUT" if kind == 1 else None)
                results.append((r.status_code, r.headers.get("Retry-After"), r.text[:100]))
            except requests.RequestException as error:
                results.append(("error", None, repr(error)[:100]))

    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        if during:
            during()
        time.sleep(seconds)
    finally:
        stop.set()
        for t in threads:
            t.join()
    return results


def test_postgres_stopped_immediately_under_load(stack, postgres):
    _, proxy = stack
    base = proxy.url
    results = run_load(base, 2.0, during=lambda: (time.sleep(0.7), postgres.stop("immediate")))
    statuses = [s for s, _, _ in results]
    assert 200 in statuses and 503 in statuses, statuses[:20]
    assert all(s in (200, 503) for s in statuses), [r for r in results if r[0] not in (200, 503)][:5]
    assert all(ra == "5" for s, ra, _ in results if s == 503), "every 503 carries Retry-After"
    postgres.start()
    deadline = time.monotonic() + 20
    while call(base, "GET", "/api/documents").status_code != 200:
        assert time.monotonic() < deadline, "presignd did not recover after PostgreSQL came back"
        time.sleep(0.2)
    assert presign(base).status_code == 200
    orphans = postgres.psql("SELECT count(*) FROM documents d WHERE NOT EXISTS "
                            "(SELECT 1 FROM audit_log a WHERE a.resource LIKE '%' || d.id::text || '%')")[0][0]
    assert orphans == "0", "a document row without its audit row"
    assert int(postgres.psql("SELECT count(*) FROM documents")[0][0]) > 0


def cluster_processes(postgres):
    """The postmaster and every process it started."""
    with open(os.path.join(postgres.data, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    children = [int(p) for p in os.popen(f"pgrep -P {postmaster}").read().split()]
    return [postmaster] + children


def test_postgres_frozen_under_load_answers_503_within_the_deadline(stack, postgres):
    """Every process of PostgreSQL stopped (SIGSTOP: the kernel still accepts connections and
    takes the statements, nothing answers). The server's statement_timeout cannot fire and TCP
    notices nothing, so without a deadline of presignd's own every request would wait for
    nginx's 30 s and get its HTML 504. With it (statement timeout 2 s + 1 s here, connect
    timeout 1 s): only 200 and 503 with Retry-After, none slower than the deadline allows, and
    presignd serves again as soon as the server runs again."""
    _, proxy = stack
    base = proxy.url
    assert presign(base).status_code == 200
    results, stop = [], threading.Event()

    def client():
        session = requests.Session()
        while not stop.is_set():
            started = time.monotonic()
            try:
                r = presign(base, session)
                results.append((r.status_code, r.headers.get("Retry-After"), time.monotonic() - started, time.monotonic()))
            except requests.RequestException as error:
                results.append(("error", repr(error)[:100], time.monotonic() - started, time.monotonic()))

    threads = [threading.Thread(target=client) for _ in range(3)]
    frozen, froze_at = [], None
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        frozen = cluster_processes(postgres)
        froze_at = time.monotonic()
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(6.0)
    finally:
        stop.set()
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        for t in threads:
            t.join()
    statuses = [r[0] for r in results]
    assert 503 in statuses, statuses
    assert all(s in (200, 503) for s in statuses), [r for r in results if r[0] not in (200, 503)][:5]
    assert all(ra == "5" for s, ra, _, _ in results if s == 503), "every 503 carries Retry-After"
    slowest = max(took for _, _, took, _ in results)
    # A statement waits at most 3 s; one on a fresh connection adds the 1 s connect timeout.
    assert slowest < 5.5, f"a request took {slowest:.1f} s"
    first_503 = min(ended for status, _, _, ended in results if status == 503)
    assert first_503 - froze_at < 4.5, f"the first 503 came {first_503 - froze_at:.1f} s after the freeze"
    deadline = time.monotonic() + 20
    while presign(base).status_code != 200:
        assert time.monotonic() < deadline, "presignd did not recover after PostgreSQL ran again"
        time.sleep(0.2)


def test_store_refusing_is_502_storage_refused_without_retry_after(stack, postgres, store, tmp_path):
    env = environment(postgres, store, AWS_SECRET_ACCESS_KEY="wrong-" + store.secret_key[6:])
    with running_stack(tmp_path / "wrong-key", env, workers=1, threads=2) as (server, proxy):
        p = presign(proxy.url)
        assert p.status_code == 200, p.text  # signing is local: the wrong secret shows at the store
        r = call(proxy.url, "POST", "/api/uploads/confirm", {"fileId": p.json()["fileId"]})
        assert r.status_code == 502, r.text
        assert r.json()["error"]["code"] == "storage_refused"
        assert "Retry-After" not in r.headers
        assert postgres.psql(f"SELECT status FROM documents WHERE id = '{p.json()['fileId']}'")[0][0] == "pending"
        assert "refused presignd's request" in server.log()


def test_worker_sigkilled_under_load_only_its_requests_fail(stack):
    server, proxy = stack
    old = server.worker_pids()
    replaced = {}

    def kill():
        time.sleep(0.5)
        os.kill(old[0], signal.SIGKILL)
        replaced["pids"] = server.wait_for_workers(2, exclude=[old[0]], timeout=10)

    results = run_load(proxy.url, 1.5, during=kill)
    failures = [r for r in results if r[0] != 200]
    assert len(failures) <= 4, failures  # at most the killed worker's in-flight requests (4 threads)
    assert old[0] not in replaced["pids"]
    tail = run_load(proxy.url, 0.5)
    assert all(s == 200 for s, _, _ in tail), tail[:5]


def test_store_stopped_during_confirms(stack, postgres, store):
    _, proxy = stack
    base = proxy.url
    uploaded = []
    for _ in range(4):
        p = presign(base).json()
        assert post_form(p, PNG).status_code in (200, 201, 204)
        uploaded.append(p["fileId"])
    store.stop()
    for file_id in uploaded:
        r = call(base, "POST", "/api/uploads/confirm", {"fileId": file_id})
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "storage_unavailable" and r.headers.get("Retry-After")
    ids = ",".join(f"'{i}'" for i in uploaded)
    assert [row[0] for row in postgres.psql(f"SELECT status FROM documents WHERE id IN ({ids})")] == ["pending"] * 4
    actions = {row[0] for row in postgres.psql(
        f"SELECT action FROM audit_log WHERE resource ~ '({'|'.join(uploaded)})'")}
    assert actions == {"upload.presign"}, actions  # nothing rejected, deleted or confirmed


def test_no_secret_token_signature_or_presigned_url_in_any_log(stack, tmp_path_factory, postgres):
    secrets = {"the JWT secret": JWT_SECRET, "the database password": DB_PASSWORD}
    secrets.update({f"bearer token {i}": t for i, t in enumerate(sorted(SEEN["tokens"])[:200])})
    secrets.update({f"signature {i}": s for i, s in enumerate(sorted(SEEN["signatures"])[:200])})
    secrets.update({f"presigned URL {i}": u for i, u in enumerate(sorted(SEEN["urls"])[:200])})
    assert len(SEEN["tokens"]) >= 3 and len(SEEN["urls"]) >= 10 and len(SEEN["signatures"]) >= 20
    patterns = LOG_SECRET_PATTERNS
    roots = [tmp_path_factory.getbasetemp(), pathlib.Path(postgres.root)]
    logs = [p for root in roots for p in root.rglob("*.log") if "ministack" not in p.name and p.is_file()]
    assert any("presignd" in p.name for p in logs) and any(p.name == "error.log" for p in logs)
    found = []
    for path in logs:
        text = path.read_text(errors="replace")
        found += [f"{name} in {path}" for name, value in secrets.items() if value in text]
        found += [f"{name} in {path}" for name, pattern in patterns.items() if pattern.search(text)]
    assert found == [], found[:10]
