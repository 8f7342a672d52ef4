"""The application learns of every upload (issue 22): events written in the statement of each
change (the outbox), delivered as Standard Webhooks, against real peers: nginx -> presignd ->
PostgreSQL 15, uploads to ministack (AUTH=true), and a receiver (harness/webhook_receiver.py)
that verifies every message with the `standardwebhooks` package from PyPI, not presignd's code.

What is proved: each change an application hears of (ready, rejected with its reason, aborted,
expired, deleted, shared, unshared) arrives signed, once per change, in commit order per document,
with the document's fields and never a signed URL or token, and an endpoint's filters hold; 1,000
uploads confirmed while the receiver is down all arrive once it is up, duplicates only under one
webhook-id; an event whose delivery was cut by a SIGKILL arrives after the restart; two hosts on one
database deliver each event once, and the second takes over when the first stops; a receiver that
answers 500, times out or drops the connection is retried with growing gaps, dead-lettered, listed,
and delivered on replay; the metrics count all of it; an application can LISTEN instead."""
import concurrent.futures
import json
import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from harness.common import API, BINARY, PNG, PURPOSES, create_multipart, post_form, upload_ready
from harness.stack import migrate, start_stack, stack_env, stop_stack
from harness.webhook_receiver import Receiver

JWT_SECRET = "webhooks-jwt-secret-4c1d8e2f6a0b3c5d7e9f1a2b"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OLD_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="  # rotated out: still signed with
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PURPOSES = dict(PURPOSES, media={"prefix": "media", "maxSize": 64 << 20})
FORBIDDEN_IN_PAYLOADS = ("X-Amz-Signature", "Signature=", "X-Amz-Credential", "eyJ", "Bearer", SECRET)


def database_env(postgres, ministack, name, **extra):
    """presignd's environment on a database of its own in the module's cluster (advisory locks and
    the outbox are per database, so each stack here has its own deliverer), migrated."""
    postgres.psql(f"CREATE DATABASE {name}")
    env = stack_env(postgres, ministack, PURPOSES, JWT_SECRET, PGCONNECT_TIMEOUT="2", **extra)
    env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name
    migrate(env)
    return env


def webhooks(**endpoints):
    return json.dumps(endpoints)


def psql(env, sql):
    out = subprocess.run(["psql", env["DATABASE_URL"], "-XAtq", "-F", "|", "-c", sql], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    return [line.split("|") for line in out.stdout.splitlines() if line]


def presignd(env, *args):
    return subprocess.run([BINARY, *args], env=env, capture_output=True, text=True, timeout=60)


def scrape(proxy):
    r = requests.get(proxy.url + "/metrics", timeout=10)
    assert r.status_code == 200
    out = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def assert_clean(messages):
    for m in messages:
        body = m["body"].decode()
        for word in FORBIDDEN_IN_PAYLOADS:
            assert word not in body, f"{word!r} in a payload: {body}"
        assert m["headers"]["content-type"] == "application/json"
        assert abs(int(m["headers"]["webhook-timestamp"]) - time.time()) < 120


def assert_one_body_per_id(messages):
    """Duplicates are allowed (at least once), but only ever as the same message."""
    bodies = {}
    for m in messages:
        assert bodies.setdefault(m["id"], m["body"]) == m["body"], f"two bodies under webhook-id {m['id']}"
    return bodies


@pytest.fixture(scope="module")
def receiver():
    r = Receiver(SECRET)
    yield r
    r.stop()


@pytest.fixture(scope="module")
def main_stack(postgres, ministack, module_stack, receiver):
    """The flows with two endpoints: `app` hears of everything; `thumbs` only of ready avatars."""
    thumbs = Receiver(SECRET)
    env = database_env(postgres, ministack, "hooks", PRESIGND_WEBHOOKS=webhooks(
        app={"url": receiver.url, "secrets": [SECRET, OLD_SECRET]},
        thumbs={"url": thumbs.url, "secrets": [SECRET], "events": ["upload.ready"], "purposes": ["avatar"]}),
        PRESIGND_WEBHOOK_RETRY_BASE_MS="100", PRESIGND_WEBHOOK_RETRY_MAX_MS="1000", PRESIGND_WEBHOOK_MAX_ATTEMPTS="100")
    server, proxy = module_stack("hooks", env, workers=2, threads=8)
    yield env, API(proxy.url, JWT_SECRET), thumbs, server, proxy
    thumbs.stop()


def test_every_change_arrives_signed_once_in_commit_order_with_the_document(main_stack, receiver):
    env, api, thumbs, server, proxy = main_stack
    # Ready, shared, unshared, deleted: one document's life.
    doc = upload_ready(api)["fileId"]
    assert api.call("POST", f"/api/documents/{doc}/shares", "alice", {"userId": "bob"}).status_code == 201
    assert api.call("POST", f"/api/documents/{doc}/shares", "alice", {"userId": "bob"}).status_code in (200, 201)  # again: no change
    assert api.call("DELETE", f"/api/documents/{doc}/shares/bob", "alice").status_code == 204
    assert api.call("DELETE", f"/api/documents/{doc}", "alice").status_code == 204
    # Rejected: HTML declared as a PNG.
    html = api.presign(name="cat.png", size=len(HTML))
    assert post_form(html, HTML).status_code in (200, 201, 204)
    assert api.confirm(html["fileId"]).status_code == 422
    # Aborted: a multipart upload cancelled by its owner.
    upload = create_multipart(api, 6 << 20)
    assert api.call("DELETE", f"/api/uploads/{upload['fileId']}").status_code == 200
    # Expired: presigned, never sent, swept.
    stale = api.presign(user="carol", purpose="document", name="never.pdf", content_type="application/pdf", size=100)
    time.sleep(2.1)  # rows keep whole seconds
    swept = presignd(env, "sweep", "--older-than", "1")
    assert swept.returncode == 0, swept.stderr
    assert f"{stale['fileId']} pending: delete object: done" in swept.stdout, swept.stdout
    # A document of another purpose, ready: `thumbs` must not hear of it.
    other = upload_ready(api, name="notes.txt", data=b"notes\n" * 10, purpose="document", content_type="text/plain")["fileId"]

    messages = receiver.wait_for(lambda ms: {m["data"]["id"] for m in ms} >= {doc, html["fileId"], upload["fileId"],
                                                                             stale["fileId"], other}
                                 and len([m for m in ms if m["data"]["id"] == doc]) >= 4, what="every change")
    assert_clean(messages)
    assert_one_body_per_id(messages)
    assert [m["type"] for m in receiver.for_document(doc)] == ["upload.ready", "share.added", "share.revoked", "document.deleted"]
    ready = receiver.for_document(doc)[0]
    assert ready["data"] == {"id": doc, "owner": "alice", "purpose": "avatar", "key": ready["data"]["key"], "fileName": "me.png",
                             "size": len(PNG), "contentType": "image/png", "checksum": None, "reason": None}
    assert ready["data"]["key"] == f"avatars/alice/{doc}.png"
    assert receiver.for_document(doc)[1]["data"]["user"] == "bob"
    # Signed with both secrets while one is rotated out: a receiver with only the old one accepts it.
    from standardwebhooks.webhooks import Webhook
    assert Webhook(OLD_SECRET).verify(ready["body"], ready["headers"])["data"]["id"] == doc
    assert len(ready["headers"]["webhook-signature"].split(" ")) == 2
    rejected, = receiver.for_document(html["fileId"])
    assert rejected["type"] == "upload.rejected"
    assert rejected["data"]["reason"] == "the file is HTML markup, not a PNG image as declared (image/png)"
    assert [m["type"] for m in receiver.for_document(upload["fileId"])] == ["upload.aborted"]
    assert [m["type"] for m in receiver.for_document(stale["fileId"])] == ["upload.expired"]
    assert receiver.for_document(stale["fileId"])[0]["data"]["owner"] == "carol"
    # One event per audited change, and the same id on every copy of it.
    assert audit_actions_count(env, doc) == 4
    assert len({m["id"] for m in receiver.for_document(doc)}) == 4
    # `thumbs` hears of ready avatars only.
    thumbs.wait_for(lambda ms: any(m["data"]["id"] == doc for m in ms), what="the avatar")
    time.sleep(0.5)
    assert [(m["type"], m["data"]["purpose"]) for m in thumbs.snapshot()] == [("upload.ready", "avatar")]
    assert not receiver.refused and not thumbs.refused


def test_racing_requests_write_one_event_per_change(main_stack, receiver):
    """Eight confirms released at once, then eight deletes: one change each, so one event each
    (and one audit row each), delivered in that order."""
    env, api, *_ = main_stack
    presigned = api.presign(user="erin")
    assert post_form(presigned, PNG).status_code in (200, 201, 204)
    doc = presigned["fileId"]

    def at_once(call):
        barrier = threading.Barrier(8)

        def one(_):
            barrier.wait()
            return call().status_code
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return list(pool.map(one, range(8)))

    assert at_once(lambda: api.confirm(doc, "erin")) == [200] * 8
    deletes = at_once(lambda: api.call("DELETE", f"/api/documents/{doc}", "erin"))
    assert deletes.count(204) >= 1 and set(deletes) <= {204, 404}, deletes
    assert psql(env, f"SELECT type FROM events WHERE document_id = '{doc}' ORDER BY seq") == [["upload.ready"], ["document.deleted"]]
    rows = psql(env, f"SELECT action FROM audit_log WHERE resource = 'document:{doc}' ORDER BY id")
    assert [r[0] for r in rows] == ["upload.presign", "upload.confirm", "document.delete"]
    receiver.wait_for(lambda ms: len([m for m in ms if m["data"]["id"] == doc]) >= 2, what="both events")
    assert [m["type"] for m in receiver.for_document(doc)] == ["upload.ready", "document.deleted"]


def audit_actions_count(env, doc):
    return int(psql(env, f"SELECT count(*) FROM events WHERE document_id = '{doc}'")[0][0])


def test_metrics_count_events_and_deliveries(main_stack, receiver):
    env, api, thumbs, server, proxy = main_stack
    before = scrape(proxy)
    doc = upload_ready(api)["fileId"]
    receiver.wait_for(lambda ms: any(m["data"]["id"] == doc for m in ms), what="the upload")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        after = scrape(proxy)
        if after.get('presignd_webhook_deliveries_total{endpoint="app",outcome="delivered"}', 0) > \
                before.get('presignd_webhook_deliveries_total{endpoint="app",outcome="delivered"}', 0):
            break
        time.sleep(0.1)
    key = 'presignd_events_written_total{type="upload.ready"}'
    assert after[key] - before.get(key, 0) == 1
    assert after['presignd_webhook_delivery_latency_seconds_count{endpoint="app"}'] >= 1
    assert 'presignd_webhook_oldest_undelivered_seconds{endpoint="app"}' in after


def test_an_application_can_listen_on_the_channel(main_stack):
    env, api, *_ = main_stack
    listener = subprocess.Popen(["psql", env["DATABASE_URL"], "-Xq", "-c", "LISTEN presignd_events", "-c", "SELECT pg_sleep(3)"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.8)
    doc = upload_ready(api, user="dave")["fileId"]
    out, err = listener.communicate(timeout=20)
    notes = [line for line in out.splitlines() if "presignd_events" in line]
    payloads = [json.loads(line.split('payload "', 1)[1].rsplit('" received', 1)[0]) for line in notes]
    event_id = psql(env, f"SELECT id FROM events WHERE document_id = '{doc}'")[0][0]
    assert {"id": event_id, "type": "upload.ready", "document": doc, "owner": "dave"}.items() <= \
        next(p for p in payloads if p["document"] == doc).items()


def test_1000_uploads_while_the_receiver_is_down_all_arrive_once_up(postgres, ministack, tmp_path):
    outage = Receiver(SECRET)
    outage.down()
    env = database_env(postgres, ministack, "outage", PRESIGND_WEBHOOKS=webhooks(app={"url": outage.url, "secrets": [SECRET]}),
                       PRESIGND_WEBHOOK_RETRY_BASE_MS="100", PRESIGND_WEBHOOK_RETRY_MAX_MS="1000",
                       PRESIGND_WEBHOOK_MAX_ATTEMPTS="100")
    server, proxy = start_stack(tmp_path, env, workers=2, threads=16)
    try:
        api = API(proxy.url, JWT_SECRET)

        def one(i):
            user = f"user{i % 50}"
            return upload_ready(api, user=user, name=f"a{i}.png")["fileId"], user

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            documents = list(pool.map(one, range(1000)))
        # Some documents change again while the receiver is down: their order must hold.
        for doc, user in documents[:40]:
            assert api.call("POST", f"/api/documents/{doc}/shares", user, {"userId": "zoe"}).status_code == 201
            assert api.call("DELETE", f"/api/documents/{doc}/shares/zoe", user).status_code == 204
        time.sleep(1.5)
        assert outage.snapshot() == []
        outage.up()
        expected = {doc for doc, _ in documents}
        messages = outage.wait_for(lambda ms: {m["data"]["id"] for m in ms if m["type"] == "upload.ready"} >= expected
                                   and len({m["id"] for m in ms}) >= 1080, timeout=120, what="1,080 events")
        assert_clean(messages)
        bodies = assert_one_body_per_id(messages)
        assert len(bodies) == 1080, "one webhook-id per event"
        for doc, _ in documents[:40]:
            first_arrivals = []
            for m in outage.for_document(doc):
                if m["type"] not in first_arrivals:
                    first_arrivals.append(m["type"])
            assert first_arrivals == ["upload.ready", "share.added", "share.revoked"], first_arrivals
        assert psql(env, "SELECT state, count(*) FROM event_deliveries GROUP BY state") == [["delivered", "1080"]]
        assert outage.refused == []
    finally:
        stop_stack(server, proxy)
        outage.stop()


def kill_everything(server):
    pids = [server.pid] + server.worker_pids()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    server.process.wait()


def test_an_event_cut_off_by_sigkill_arrives_after_the_restart(postgres, ministack, tmp_path):
    slow = Receiver(SECRET, slow_seconds=2.0)
    slow.mode = "slow"
    env = database_env(postgres, ministack, "killed", PRESIGND_WEBHOOKS=webhooks(app={"url": slow.url, "secrets": [SECRET]}),
                       PRESIGND_WEBHOOK_TIMEOUT_MS="10000", PRESIGND_WEBHOOK_RETRY_BASE_MS="100")
    server, proxy = start_stack(tmp_path / "first", env, workers=2, threads=4)
    try:
        doc = upload_ready(API(proxy.url, JWT_SECRET))["fileId"]
        deadline = time.monotonic() + 10
        while not slow.attempts and time.monotonic() < deadline:
            time.sleep(0.02)
        assert slow.attempts, "the delivery started"
        kill_everything(server)  # while the receiver still holds the request
    finally:
        stop_stack(server, proxy)
    slow.mode = "ok"
    server, proxy = start_stack(tmp_path / "second", env, workers=2, threads=4)
    try:
        messages = slow.wait_for(lambda ms: any(m["data"]["id"] == doc for m in ms) and
                                 psql(env, "SELECT state FROM event_deliveries") == [["delivered"]], what="the event after the restart")
        assert_one_body_per_id(messages)
        assert {m["id"] for m in messages} == {psql(env, f"SELECT id FROM events WHERE document_id = '{doc}'")[0][0]}
    finally:
        stop_stack(server, proxy)
        slow.stop()


def test_two_hosts_deliver_each_event_once_and_one_takes_over(postgres, ministack, tmp_path):
    both = Receiver(SECRET)
    env = database_env(postgres, ministack, "twohosts", PRESIGND_WEBHOOKS=webhooks(app={"url": both.url, "secrets": [SECRET]}))
    first = start_stack(tmp_path / "a", env, workers=2, threads=8)
    second = start_stack(tmp_path / "b", env, workers=2, threads=8)
    try:
        apis = [API(first[1].url, JWT_SECRET), API(second[1].url, JWT_SECRET)]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            documents = list(pool.map(lambda i: upload_ready(apis[i % 2], name=f"h{i}.png")["fileId"], range(200)))
        messages = both.wait_for(lambda ms: {m["data"]["id"] for m in ms} >= set(documents), what="200 events")
        time.sleep(0.5)
        ids = [m["id"] for m in both.snapshot()]
        assert len(ids) == len(set(ids)) == 200, "each event once: never by both hosts"
        logs = [first[0].log(), second[0].log()]
        delivering = [i for i, log in enumerate(logs) if "this process delivers" in log]
        assert len(delivering) == 1, logs
        assert "another process delivers" in logs[1 - delivering[0]]
        # The delivering host stops: the other takes the lock and delivers what comes next.
        stop_stack(*(first if delivering[0] == 0 else second))
        survivor = apis[1 - delivering[0]]
        later = upload_ready(survivor, name="later.png")["fileId"]
        both.wait_for(lambda ms: any(m["data"]["id"] == later for m in ms), timeout=20, what="the event after the takeover")
        assert_one_body_per_id(both.snapshot())
    finally:
        stop_stack(*first)
        stop_stack(*second)
        both.stop()


@pytest.mark.parametrize("mode", ["error", "slow", "close", "tls"])
def test_a_failing_receiver_is_retried_with_back_off_then_dead_then_replayed(postgres, ministack, tmp_path, mode):
    """500s, timeouts, dropped connections, and a TLS handshake that fails (an https:// URL whose
    server speaks plain HTTP): each retried, dead-lettered, listed, replayed."""
    failing = Receiver(SECRET, slow_seconds=1.5)
    failing.mode = "ok" if mode == "tls" else mode
    url = failing.url.replace("http://", "https://") if mode == "tls" else failing.url
    env = database_env(postgres, ministack, f"dead_{mode}", PRESIGND_WEBHOOKS=webhooks(app={"url": url, "secrets": [SECRET]}),
                       PRESIGND_WEBHOOK_TIMEOUT_MS="500", PRESIGND_WEBHOOK_RETRY_BASE_MS="300",
                       PRESIGND_WEBHOOK_RETRY_MAX_MS="5000", PRESIGND_WEBHOOK_MAX_ATTEMPTS="4")
    server, proxy = start_stack(tmp_path, env, workers=2, threads=4)
    try:
        doc = upload_ready(API(proxy.url, JWT_SECRET))["fileId"]
        event_id = psql(env, f"SELECT id FROM events WHERE document_id = '{doc}'")[0][0]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and psql(env, "SELECT state FROM event_deliveries") != [["dead"]]:
            time.sleep(0.1)
        assert psql(env, "SELECT state, attempts FROM event_deliveries") == [["dead", "4"]]
        if mode != "tls":  # a failed handshake never reaches the receiver's handler
            times = [t for t, i, _ in failing.attempts if i == event_id]
            assert len(times) == 4, failing.attempts
            gaps = [b - a for a, b in zip(times, times[1:])]
            # 300 ms doubling, each drawn from its upper half: 150–300, 300–600, 600–1200 ms (+ the attempt's own time).
            assert gaps[0] >= 0.14 and gaps[1] >= 0.29 and gaps[2] >= 0.59, gaps
            assert gaps[2] > gaps[0], gaps
        listed = presignd(env, "events", "list", "--state", "dead")
        assert listed.returncode == 0, listed.stderr
        line, = [ln for ln in listed.stdout.splitlines() if event_id in ln]
        assert "upload.ready" in line and "app dead attempts 4" in line and doc in line
        reason = {"error": "(HTTP 500)", "slow": "(Timeout was reached)", "close": "(Server returned nothing",
                  "tls": "(SSL connect error)"}[mode]
        assert reason in line, line
        metrics = scrape(proxy)
        assert metrics['presignd_webhook_deliveries_total{endpoint="app",outcome="retried"}'] == 3
        assert metrics['presignd_webhook_deliveries_total{endpoint="app",outcome="dead"}'] == 1
        assert failing.snapshot() == [] or mode == "slow"  # a slow receiver may have verified what presignd gave up on
        failing.mode = "ok"
        if mode == "tls":  # the endpoint is fixed (an operator's config change): the replay goes to plain HTTP
            stop_stack(server, proxy)
            env["PRESIGND_WEBHOOKS"] = webhooks(app={"url": failing.url, "secrets": [SECRET]})
            server, proxy = start_stack(tmp_path / "fixed", env, workers=2, threads=4)
        replayed = presignd(env, "events", "replay", event_id)
        assert replayed.returncode == 0 and "1 dead delivery due again" in replayed.stdout, replayed.stdout + replayed.stderr
        failing.wait_for(lambda ms: any(m["id"] == event_id for m in ms), timeout=10, what="the replayed event")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and psql(env, "SELECT state FROM event_deliveries") != [["delivered"]]:
            time.sleep(0.1)
        assert psql(env, "SELECT state FROM event_deliveries") == [["delivered"]]
        again = presignd(env, "events", "replay", event_id)
        assert again.returncode == 1 and "0 dead deliveries due again" in again.stdout
    finally:
        stop_stack(server, proxy)
        failing.stop()


def test_check_config_shows_endpoints_without_secrets_and_names_what_to_fix(postgres, ministack):
    env = stack_env(postgres, ministack, PURPOSES, JWT_SECRET,
                    PRESIGND_WEBHOOKS=webhooks(app={"url": "https://app.example/hooks?token=abc", "secrets": [SECRET],
                                                    "purposes": ["avatar"]}))
    out = presignd(env, "check-config")
    assert out.returncode == 0, out.stderr
    assert "webhook app = https://app.example/hooks (every event; avatar; 1 secret(s))" in out.stdout
    assert SECRET not in out.stdout and "token=abc" not in out.stdout
    bad = dict(env, PRESIGND_WEBHOOKS=webhooks(app={"url": "https://x", "secrets": [SECRET], "purposes": ["avatars"]}))
    out = presignd(bad, "check-config")
    assert out.returncode == 78
    assert 'endpoint "app": "avatars" is not one of the configured purposes' in out.stderr


def test_a_separate_deliverer_delivers_when_serve_does_not(postgres, ministack, tmp_path):
    """PRESIGND_WEBHOOK_DELIVERY=separate: serve writes events and delivers none; `presignd deliver`
    (deploy/presignd-deliver.service) delivers them, also those written before it started."""
    apart = Receiver(SECRET)
    env = database_env(postgres, ministack, "separate", PRESIGND_WEBHOOKS=webhooks(app={"url": apart.url, "secrets": [SECRET]}),
                       PRESIGND_WEBHOOK_DELIVERY="separate")
    server, proxy = start_stack(tmp_path, env, workers=2, threads=4)
    deliverer = None
    try:
        doc = upload_ready(API(proxy.url, JWT_SECRET))["fileId"]
        time.sleep(1.5)
        assert apart.snapshot() == [] and psql(env, "SELECT count(*) FROM events") == [["1"]]
        deliverer = subprocess.Popen([BINARY, "deliver"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        apart.wait_for(lambda ms: any(m["data"]["id"] == doc for m in ms), what="the event from presignd deliver")
        later = upload_ready(API(proxy.url, JWT_SECRET), name="later.png")["fileId"]
        apart.wait_for(lambda ms: any(m["data"]["id"] == later for m in ms), what="an event written while it runs")
        assert "this process delivers" not in server.log()
    finally:
        if deliverer is not None:
            deliverer.kill()
            deliverer.wait()
        stop_stack(server, proxy)
        apart.stop()
    assert "webhook delivery: this process delivers to app" in deliverer.stdout.read()


def test_a_documents_later_events_wait_for_its_earlier_one_being_retried(postgres, ministack, tmp_path):
    """The receiver refuses each message's first two attempts (500): the share made while the upload's
    event is backing off arrives only after it, and the unshare after the share."""
    picky = Receiver(SECRET, fail_first=2)
    env = database_env(postgres, ministack, "ordered", PRESIGND_WEBHOOKS=webhooks(app={"url": picky.url, "secrets": [SECRET]}),
                       PRESIGND_WEBHOOK_RETRY_BASE_MS="400", PRESIGND_WEBHOOK_RETRY_MAX_MS="2000")
    server, proxy = start_stack(tmp_path, env, workers=2, threads=4)
    try:
        api = API(proxy.url, JWT_SECRET)
        doc = upload_ready(api)["fileId"]
        assert api.call("POST", f"/api/documents/{doc}/shares", "alice", {"userId": "bob"}).status_code == 201
        assert api.call("DELETE", f"/api/documents/{doc}/shares/bob", "alice").status_code == 204
        messages = picky.wait_for(lambda ms: len(ms) >= 3, what="the three events")
        assert [m["type"] for m in messages] == ["upload.ready", "share.added", "share.revoked"]
        attempts = [(t, i) for t, i, _ in picky.attempts]
        ids = [m["id"] for m in messages]
        first_of = {i: min(t for t, j in attempts if j == i) for i in ids}
        last_of = {i: max(t for t, j in attempts if j == i) for i in ids}
        assert first_of[ids[1]] >= last_of[ids[0]] and first_of[ids[2]] >= last_of[ids[1]], "a later event went out early"
        assert [sum(1 for _, j in attempts if j == i) for i in ids] == [3, 3, 3]
    finally:
        stop_stack(server, proxy)
        picky.stop()


def test_sweep_removes_old_events_that_wait_for_nothing(main_stack, receiver):
    """PRESIGND_EVENT_RETENTION_DAYS (7): sweep removes delivered and dead events older than that,
    with their deliveries, and keeps one still waiting for a delivery, however old."""
    env, api, *_ = main_stack
    delivered = upload_ready(api, user="frank")["fileId"]
    waiting = upload_ready(api, user="frank", name="b.png")["fileId"]
    receiver.wait_for(lambda ms: {m["data"]["id"] for m in ms} >= {delivered, waiting}, what="both")
    deadline = time.monotonic() + 5
    while psql(env, f"SELECT count(*) FROM event_deliveries d JOIN events e ON e.seq = d.event_seq "
                    f"WHERE e.document_id IN ('{delivered}', '{waiting}') AND d.state = 'pending'") != [["0"]]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    psql(env, f"UPDATE events SET at = now() - interval '8 days' WHERE document_id IN ('{delivered}', '{waiting}')")
    psql(env, "UPDATE event_deliveries d SET state = 'pending', next_at = now() + interval '1 day' FROM events e "
              f"WHERE e.seq = d.event_seq AND e.document_id = '{waiting}'")
    swept = presignd(env, "sweep")
    assert swept.returncode == 0, swept.stderr
    assert "events: 1 older than 7 days removed" in swept.stdout, swept.stdout
    assert psql(env, f"SELECT document_id FROM events WHERE document_id IN ('{delivered}', '{waiting}')") == [[waiting]]
    assert psql(env, f"SELECT count(*) FROM event_deliveries d WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.seq = d.event_seq)") == [["0"]]
