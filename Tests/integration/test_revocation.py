"""Issue 23 §1: a per-user kill switch that takes effect in a second. Two presignd "hosts" (each
2 workers behind its own real nginx) share one PostgreSQL; `presignd revoke --user` (a separate
process, as an operator runs it) records the cutoff, and from 1 s after it returns not one of
1,000+ requests by that user succeeds on either host: API calls with an unexpired token, media
requests with unexpired cookies, and images already in nginx's cache (whose decision nginx had
cached too). Another user's identical requests keep succeeding throughout. Then: a fresh sign-in
works again, the admin route needs its scope, a watcher whose connection is cut still applies a
revocation within the second, and `--cdn-key` retires every cookie a key signed.
"""
import calendar
import concurrent.futures
import subprocess
import threading
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.common import API, JWT_SECRET, cdn_cookies, upload_ready
from harness.hammer import Hammer
from harness.common import make_token as token
from harness.presignd import binary
from harness.stack import migrate, stack_env

CDN = "cdn.app.test"
PURPOSES = {"avatar": {"prefix": "avatars", "maxSize": 65536, "allowedType": "image/"},
            "document": {"prefix": "documents", "maxSize": 65536}}
IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture(scope="module")
def hosts(postgres, ministack, module_stack, tmp_path_factory):
    """Two presignd hosts on one database; returns (env, [base URL, base URL])."""
    key = tmp_path_factory.mktemp("revocation-keys") / "cf.pem"
    key.write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    env = stack_env(postgres, ministack, PURPOSES, JWT_SECRET,
                    PRESIGND_CDN_DOMAIN=CDN, PRESIGND_CDN_PATH_PATTERN="/*", PRESIGND_CDN_COOKIE_DOMAIN=".app.test",
                    PRESIGND_CLOUDFRONT_KEY_PAIR_ID="KREVOKE1", PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=str(key),
                    PRESIGND_CDN_COOKIE_EXPIRES="600")
    migrate(env)
    bases = [module_stack(f"revocation-host-{n}", env, workers=2, threads=4)[1].url for n in range(2)]
    return env, bases


def call(base, method, path, user, body=None, **claims):
    """`claims` go into the token: iat=… (when it was issued), scope=…."""
    return API(base).call(method, path, user, body, **claims)


def upload(base, user):
    return upload_ready(API(base), user, data=IMAGE)


def cookies(base, user):
    return cdn_cookies(base, token(user))


def revoke(env, *arguments):
    out = subprocess.run([binary(), "revoke", *arguments], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def audit_rows(postgres, action, resource):
    return int(postgres.psql(f"SELECT count(*) FROM audit_log WHERE action = '{action}' AND resource = '{resource}'")[0][0])


def test_a_revoked_user_gets_nothing_from_one_second_on_and_others_are_unaffected(hosts, postgres):
    env, bases = hosts
    issued = int(time.time()) - 5
    keys = {user: upload(bases[0], user)["key"] for user in ("carol", "dave")}
    jar = {(user, base): cookies(base, user) for user in keys for base in bases}
    for (user, base), cookie in jar.items():
        url = f"{base}/media/{keys[user]}"
        assert requests.get(url, headers={"Cookie": cookie}, timeout=10).status_code == 200
        again = requests.get(url, headers={"Cookie": cookie}, timeout=10)
        assert again.status_code == 200 and again.content == IMAGE
        assert again.headers["X-Presignd-Cache"] == "HIT", "the image is in nginx's cache before the revocation"

    def media(user, base):
        return lambda s: s.get(f"{base}/media/{keys[user]}", headers={"Cookie": jar[(user, base)]}, timeout=10)

    def api(user, base):
        bearer = {"Authorization": f"Bearer {token(user, iat=issued)}"}
        return lambda s: s.get(f"{base}/api/documents", headers=bearer, timeout=10)

    attempts = []
    for n, base in enumerate(bases):
        for user in keys:
            attempts += [(f"{user} media host {n}", media(user, base)), (f"{user} api host {n}", api(user, base))]
    with Hammer(attempts) as hammer:
        time.sleep(1.0)
        out = revoke(env, "--user", "carol", "--reason", "account compromised")
        returned = time.monotonic()
        assert "user carol" in out
        # Until carol has made 1,000 attempts from one second after the revocation returned.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            late = sum(1 for name, results in hammer.by_name().items() if name.startswith("carol")
                       for sent, _ in results if sent >= returned + 1.0)
            if late >= 1000:
                break
            time.sleep(0.2)
    results_by_name = hammer.by_name()
    for name, results in results_by_name.items():
        before = [status == 200 for sent, status in results if sent < returned - 0.05]
        after = [status == 200 for sent, status in results if sent >= returned + 1.0]
        assert before and all(before), f"{name}: every attempt before the revocation succeeded"
        if name.startswith("carol"):
            assert len(after) >= 100 and not any(after), f"{name}: {sum(after)} of {len(after)} succeeded from 1 s after the revocation"
        else:
            assert after and all(after), f"{name}: another user's {len(after) - sum(after)} of {len(after)} failed"
    late = sum(1 for name, results in results_by_name.items() if name.startswith("carol") for sent, _ in results if sent >= returned + 1.0)
    assert late >= 1000
    assert audit_rows(postgres, "user.revoke", "user:carol") == 1

    # A new sign-in after the cutoff: a token issued now, and cookies it asks for, work again.
    time.sleep(1.1)
    for base in bases:
        assert call(base, "GET", "/api/documents", "carol").status_code == 200
        fresh = cookies(base, "carol")
        assert requests.get(f"{base}/media/{keys['carol']}", headers={"Cookie": fresh}, timeout=10).status_code == 200
        refused = requests.get(f"{base}/media/{keys['carol']}", headers={"Cookie": jar[("carol", base)]}, timeout=10)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "media_forbidden"
        old = call(base, "GET", "/api/documents", "carol", iat=issued)
        assert old.status_code == 401 and "revoked" in old.json()["error"]["message"]
        assert old.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_the_admin_route_needs_its_scope_and_writes_one_audit_row(hosts, postgres):
    _, bases = hosts
    issued = int(time.time()) - 5
    assert call(bases[1], "GET", "/api/documents", "erin", iat=issued).status_code == 200
    refused = call(bases[0], "POST", "/api/admin/revocations", "mallory", {"user": "erin"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    assert call(bases[1], "GET", "/api/documents", "erin", iat=issued).status_code == 200
    done = call(bases[0], "POST", "/api/admin/revocations", "ops", {"user": "erin", "reason": "left"}, scope="presignd:admin")
    assert done.status_code == 200, done.text
    assert done.json()["revoked"] == {"user": "erin"} and done.json()["effectiveWithinSeconds"] == 1
    time.sleep(1.0)
    assert call(bases[1], "GET", "/api/documents", "erin", iat=issued).status_code == 401, "the other host heard it"
    assert audit_rows(postgres, "user.revoke", "user:erin") == 1
    assert postgres.psql("SELECT actor, reason FROM revocations JOIN audit_log ON resource = 'user:' || subject "
                         "WHERE subject = 'erin' AND action = 'user.revoke'") == [["ops", "left"]]
    bad = call(bases[0], "POST", "/api/admin/revocations", "ops", {"user": "erin", "cdnKey": "K1"}, scope="presignd:admin")
    assert bad.status_code == 400 and "exactly one of user" in bad.json()["error"]["message"]


def test_revocations_sent_at_the_same_moment_keep_one_row_and_an_audit_row_each(hosts, postgres):
    """Eight admins revoke the same user at once, on both hosts: one revocation row whose cutoff is
    the latest, one audit row per revocation, and every host refuses the user's older tokens."""
    _, bases = hosts
    barrier = threading.Barrier(8)

    def revoke_at_once(n):
        barrier.wait()
        return call(bases[n % 2], "POST", "/api/admin/revocations", f"admin{n}", {"user": "ivan", "reason": f"r{n}"},
                    scope="presignd:admin")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(revoke_at_once, range(8)))
    assert [r.status_code for r in answers] == [200] * 8, [r.text for r in answers]
    cutoffs = {r.json()["cutoff"] for r in answers}
    rows = postgres.psql("SELECT count(*), max(extract(epoch from cutoff))::bigint FROM revocations WHERE kind = 'user' AND subject = 'ivan'")
    assert rows[0][0] == "1"
    assert int(rows[0][1]) == max(calendar.timegm(time.strptime(c, "%Y-%m-%dT%H:%M:%SZ")) for c in cutoffs), \
        "the row keeps the latest cutoff any of them set"
    assert audit_rows(postgres, "user.revoke", "user:ivan") == 8
    time.sleep(1.0)
    issued = int(rows[0][1]) - 1
    assert all(call(base, "GET", "/api/documents", "ivan", iat=issued).status_code == 401 for base in bases)


def test_a_watcher_that_lost_its_connection_still_applies_a_revocation_within_a_second(hosts, postgres):
    env, bases = hosts
    issued = int(time.time()) - 5
    assert all(call(base, "GET", "/api/documents", "frank", iat=issued).status_code == 200 for base in bases)
    # Cut every watcher's connection (each sleeps on LISTEN): they reconnect and read the table again.
    cut = postgres.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity a "
                        "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
                        "AND (query LIKE 'LISTEN presignd_revocations%' OR query IN ('SHOW transaction_read_only', "
                        "'SELECT kind, subject, extract(epoch from cutoff)::bigint FROM revocations'))")[0][0]
    assert int(cut) >= 4, f"every worker of both hosts watches: {cut} cut"
    revoke(env, "--user", "frank")
    time.sleep(1.0)
    for base in bases:
        for _ in range(20):
            assert call(base, "GET", "/api/documents", "frank", iat=issued).status_code == 401


def test_a_retired_cdn_key_refuses_every_cookie_it_signed(hosts, postgres):
    env, bases = hosts
    key = upload(bases[0], "gina")["key"]
    jar = [cookies(base, user) for base in bases for user in ("gina", "hank")]
    assert all(requests.get(f"{bases[0]}/media/{key}", headers={"Cookie": c}, timeout=10).status_code == 200 for c in jar)
    revoke(env, "--cdn-key", "KREVOKE1", "--reason", "key leaked")
    time.sleep(1.0)
    for base in bases:
        for cookie in jar:
            r = requests.get(f"{base}/media/{key}", headers={"Cookie": cookie}, timeout=10)
            assert r.status_code == 403 and "retired" in r.json()["error"]["message"]
        issued = call(base, "POST", "/api/auth/cdn-cookies", "gina")
        assert issued.status_code == 500 and issued.json()["error"]["code"] == "signing_failed"
        assert "retired" in issued.json()["error"]["message"]
    assert audit_rows(postgres, "cdn.key.retire", "cdn-key:KREVOKE1") == 1
