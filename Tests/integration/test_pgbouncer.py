"""Behind PgBouncer (issue 25 §3): Debian's PgBouncer 1.18 between presignd and PostgreSQL.

Without a pooler setting presignd sends its session settings as libpq's `options` startup
parameter, which PgBouncer refuses: every request is a 503, and the log says why (libpq's reason
and the setting to change), not only "connection failed". With PRESIGND_DB_POOLER=session the
settings are made with SET once per connection; with PRESIGND_DB_POOLER=transaction no session
state is used at all and statements go unnamed (PgBouncer 1.18 cannot carry a named prepared
statement to the next server connection), and a role without a statement_timeout is logged.
Both modes serve the whole upload flow under concurrent requests with no request failing; in
transaction mode 8 users at once share 2 server connections. (A session pool must hold one server
connection per presignd connection: hosts × workers × threads.)"""
import concurrent.futures
import subprocess
import time

import pytest

from harness.common import API, PNG, upload_ready
from harness.pgbouncer import PgBouncer
from harness.presignd import binary


@pytest.fixture(scope="module")
def pgbouncer(postgres, flows_env):
    # flows_env has migrated the database (directly, not through the pooler).
    bouncer = PgBouncer(postgres, session_pool_size=16, transaction_pool_size=2)
    yield bouncer
    bouncer.stop()


def through(env, bouncer, pool_mode, pooler=None):
    env = dict(env, DATABASE_URL=bouncer.url(pool_mode))
    if pooler:
        env["PRESIGND_DB_POOLER"] = pooler
    return env


def wait_for_log(server, text, timeout=10.0):
    deadline = time.monotonic() + timeout
    while text not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    return server.log()


def test_without_the_setting_every_request_is_503_and_the_log_says_why(flows_env, pgbouncer, module_stack):
    server, proxy = module_stack("no-setting", through(flows_env, pgbouncer, "session"))
    r = API(proxy.url).call("POST", "/api/uploads/presign", "alice",
                            {"purpose": "avatar", "fileName": "me.png", "contentType": "image/png", "fileSize": len(PNG)})
    assert r.status_code == 503 and r.json()["error"]["code"] == "database_unavailable", r.text
    log = wait_for_log(server, "unsupported startup parameter")
    assert "unsupported startup parameter: options" in log, log[-3000:]
    assert "set PRESIGND_DB_POOLER to session or transaction" in log, log[-3000:]


def flow_through(api, user):
    """Upload, confirm, list, download and share: every kind of statement a request sends."""
    p = upload_ready(api, user=user)
    listed = api.call("GET", "/api/documents", user)
    assert listed.status_code == 200 and p["fileId"] in [d["id"] for d in listed.json()["documents"]], listed.text
    download = api.call("GET", f"/api/documents/{p['fileId']}/download", user)
    assert download.status_code == 200, download.text
    shared = api.call("POST", f"/api/documents/{p['fileId']}/shares", user, {"userId": f"{user}-friend"})
    assert shared.status_code in (200, 201, 204), shared.text
    usage = api.call("GET", "/api/usage", user)
    assert usage.status_code == 200, usage.text
    return p["fileId"]


@pytest.mark.parametrize("pool_mode", ["session", "transaction"])
def test_the_whole_flow_through_each_pool_mode(flows_env, pgbouncer, module_stack, postgres, pool_mode):
    server, proxy = module_stack(f"pooled-{pool_mode}", through(flows_env, pgbouncer, pool_mode, pooler=pool_mode),
                                 workers=2, threads=4)
    api = API(proxy.url)
    # 8 users at once (on 2 server connections in transaction mode: a statement may run on either).
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda n: flow_through(api, f"{pool_mode}-user-{n}"), range(8)))
    assert len(set(ids)) == 8
    ready = postgres.psql("SELECT count(*) FROM documents WHERE status = 'ready' AND owner_id LIKE '" + pool_mode + "-user-%'")
    assert ready == [["8"]]
    log = server.log()
    assert "prepared statement" not in log and "database statement failed" not in log, log[-3000:]
    if pool_mode == "transaction":
        # The test's role has no statement_timeout of its own: said once per new connection.
        assert "no statement_timeout behind the transaction pooler" in log, log[-3000:]
    # A revocation reaches the workers behind the pooler too: through LISTEN on a session pool,
    # asked for every 250 ms on a transaction pool (where LISTEN cannot work).
    user, issued = f"{pool_mode}-user-0", int(time.time()) - 5
    assert api.call("GET", "/api/documents", user, iat=issued).status_code == 200
    revoked = subprocess.run([binary(), "revoke", "--user", user], env=flows_env, capture_output=True, text=True, timeout=30)
    assert revoked.returncode == 0, revoked.stderr
    time.sleep(1.0)
    assert all(api.call("GET", "/api/documents", user, iat=issued).status_code == 401 for _ in range(10))
    assert api.call("GET", "/api/documents", f"{pool_mode}-user-1", iat=issued).status_code == 200


def test_the_session_pool_gets_the_statement_timeout(flows_env, pgbouncer, postgres, module_stack):
    """SET once per connection: a presign that waits on a lock is cancelled by the server at
    presignd's statement timeout (503, well before the lock goes), as it is without a pooler."""
    env = through(flows_env, pgbouncer, "session", pooler="session")
    env["PRESIGND_DB_STATEMENT_TIMEOUT_MS"] = "300"
    server, proxy = module_stack("pooled-timeout", env)
    api = API(proxy.url)
    upload_ready(api, user="timeout-user")  # the connections are made (and SET) before the lock
    holder = subprocess.Popen(["psql", "-X", "-q", "-d", postgres.url, "-c",
                               "BEGIN; LOCK TABLE documents IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while postgres.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                            "WHERE c.relname = 'documents' AND l.mode = 'AccessExclusiveLock' AND l.granted") != [["1"]]:
            assert time.monotonic() < deadline, "the lock was not taken"
            time.sleep(0.05)
        started = time.monotonic()
        r = api.call("POST", "/api/uploads/presign", "timeout-user",
                     {"purpose": "avatar", "fileName": "me.png", "contentType": "image/png", "fileSize": len(PNG)})
        took = time.monotonic() - started
        assert r.status_code == 503 and r.json()["error"]["code"] == "database_unavailable", r.text
        assert took < 2.0, f"the statement waited {took:.1f} s: no statement_timeout in the pooled session"
    finally:
        holder.wait(timeout=10)


def test_migrate_refuses_a_transaction_pooler(flows_env, pgbouncer):
    out = subprocess.run([binary(), "migrate"], env=through(flows_env, pgbouncer, "transaction", pooler="transaction"),
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 78, out.stdout + out.stderr
    assert "migrate needs a session of its own" in out.stderr
