"""The media route through real nginx against ministack: images at fixed URLs from the private
bucket, authorised by CloudFront signed cookies that presignd verifies as CloudFront does, the
bytes carried and cached by nginx. A counting proxy (conftest's `proxy`) between nginx/presignd and ministack counts
every request that reaches the store, so "served from nginx's cache" is a count, not a header.
"""
import base64
import json
import os
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from harness.common import JWT_SECRET, cdn_cookies
from harness.common import make_token as token  # the flows secret, 600 s; assertions below call it token
from harness.stack import migrate, stack_env

CDN = "cdn.app.test"
KEY_ID, OLD_KEY_ID = "KMEDIANEWEC256", "KMEDIAOLDRSA"
PURPOSES = {
    "avatar": {"prefix": "avatars", "maxSize": 65536, "allowedType": "image/"},
    "image": {"prefix": "images", "maxSize": 65536, "allowedType": "image/"},
    "document": {"prefix": "documents", "maxSize": 65536},
}
IMAGE = b"\x89PNG\r\n\x1a\n" + os.urandom(10_000)
MEDIA_ENV = {}  # the media stack's environment, for a second stack that differs in one thing


class StoreGets:
    """The GETs that reached the store through the module's counting proxy (conftest's `proxy`)."""

    def __init__(self, proxy):
        self.proxy = proxy

    def gets(self):
        with self.proxy.lock:
            return sum(1 for method, *_ in self.proxy.requests if method == "GET")


def pem(key, private=True):
    if private:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    root = tmp_path_factory.mktemp("media-keys")
    new = ec.generate_private_key(ec.SECP256R1())
    old = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    untrusted = ec.generate_private_key(ec.SECP256R1())
    (root / "new.pem").write_bytes(pem(new))
    (root / "old-public.pem").write_bytes(pem(old, private=False))
    return {"new": new, "old": old, "untrusted": untrusted, "dir": root}


@pytest.fixture(scope="module")
def media(postgres, ministack, proxy, keys, module_stack):
    env = stack_env(
        postgres, ministack, PURPOSES, JWT_SECRET,
        AWS_ENDPOINT_URL_S3=proxy.url, PRESIGND_JWT_COOKIE="presignd_token",
        PRESIGND_CDN_DOMAIN=CDN, PRESIGND_CDN_PATH_PATTERN="/*", PRESIGND_CDN_COOKIE_DOMAIN=".app.test",
        PRESIGND_CLOUDFRONT_KEY_PAIR_ID=KEY_ID, PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=str(keys["dir"] / "new.pem"),
        PRESIGND_CLOUDFRONT_TRUSTED_KEYS=f"{OLD_KEY_ID}={keys['dir'] / 'old-public.pem'}",
        PRESIGND_MEDIA_OWNER_PATHS="/images/{user}/*", PRESIGND_CDN_COOKIE_EXPIRES="600", PGCONNECT_TIMEOUT="2",
    )
    migrate(env)
    MEDIA_ENV.update(env)
    _, nginx = module_stack("media-stack", env, workers=2, threads=4)
    return nginx.url, StoreGets(proxy)


def api(base, method, path, user="alice", body=None):
    return requests.request(method, base + path, headers={"Authorization": f"Bearer {token(user)}"}, json=body, timeout=30)


def upload(base, user="alice", purpose="avatar", name="me.png", content_type="image/png", data=IMAGE):
    p = api(base, "POST", "/api/uploads/presign", user, {"purpose": purpose, "fileName": name, "contentType": content_type,
                                                         "fileSize": len(data)}).json()
    form = requests.post(p["url"], data=list(p["fields"].items()), files={"file": (name, data)}, timeout=30)
    assert form.status_code in (200, 201, 204), form.text
    assert api(base, "POST", "/api/uploads/confirm", user, {"fileId": p["fileId"]}).status_code == 200
    return p["key"]


def issued_cookies(base, user="alice"):
    """The cookie header a browser would send after POST /api/auth/cdn-cookies: the CloudFront
    cookies and the user's media session cookie."""
    return cdn_cookies(base, token(user))


def session_cookie(base, user="alice"):
    """The user's media session cookie alone, to go with CloudFront cookies signed here."""
    return issued_cookies(base, user).split("; ")[-1]


def cf64(data):
    return base64.b64encode(data).decode().replace("+", "-").replace("=", "_").replace("/", "~")


def signed_cookies(key, key_id, resource, less_than, greater_than=None, ip=None, sha256=True, session=None):
    """Cookies signed here, as any CloudFront SDK would, for the refusal cases; with `session`
    (a media session cookie), as a browser holds them."""
    condition = {"DateLessThan": {"AWS:EpochTime": less_than}}
    if ip:
        condition["IpAddress"] = {"AWS:SourceIp": ip}
    if greater_than:
        condition["DateGreaterThan"] = {"AWS:EpochTime": greater_than}
    policy = json.dumps({"Statement": [{"Resource": resource, "Condition": condition}]}, separators=(",", ":")).encode()
    digest = hashes.SHA256() if sha256 else hashes.SHA1()
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(policy, padding.PKCS1v15(), digest)
    else:
        signature = key.sign(policy, ec.ECDSA(digest))
    cookies = [f"CloudFront-Policy={cf64(policy)}", f"CloudFront-Signature={cf64(signature)}", f"CloudFront-Key-Pair-Id={key_id}"]
    if sha256:
        cookies.append("CloudFront-Hash-Algorithm=SHA256")
    if session:
        cookies.append(session)
    return "; ".join(cookies)


def media_get(base, key, cookie, headers=None, jwt_cookie=None):
    h = dict(headers or {})
    cookie_header = cookie or ""
    if jwt_cookie:
        cookie_header += ("; " if cookie_header else "") + f"presignd_token={jwt_cookie}"
    if cookie_header:
        h["Cookie"] = cookie_header
    return requests.get(f"{base}/media/{key}", headers=h, timeout=30)


def test_a_store_refusing_nginxs_fetch_is_502_storage_refused_logged_and_counted(media, module_stack):
    """Issue 23: when the store refused nginx's presigned fetch (keys, permissions, clock), the
    media route answered `404 no such file` and presignd never heard of it. A second presignd
    on the same bucket signs with a wrong secret key; a client with valid cookies gets 502
    storage_refused (no Retry-After: an operator must act), presignd logs it and counts it, and
    nothing of it is cached."""
    base, _ = media
    key = upload(base)
    cookie = issued_cookies(base)
    server, proxy = module_stack("media-wrong-key", dict(MEDIA_ENV, AWS_SECRET_ACCESS_KEY="not-the-secret-key"), workers=1, threads=2)
    for _ in range(2):
        r = media_get(proxy.url, key, cookie)
        assert r.status_code == 502, (r.status_code, r.text)
        assert r.json()["error"]["code"] == "storage_refused", r.text
        assert "Retry-After" not in r.headers
    assert "the object store refused nginx's media fetch (status 403)" in server.log(), server.log()[-2000:]
    metrics = requests.get(proxy.url + "/metrics", timeout=10).text
    assert "presignd_media_fetch_refusals_total 2" in metrics, [l for l in metrics.splitlines() if "refusal" in l]
    # A client cannot claim a refusal: the header is cleared by nginx before presignd sees it.
    honest = media_get(base, key, cookie, {"X-Presignd-Media-Refused": "403"})
    assert honest.status_code == 200 and honest.content == IMAGE


def test_image_served_with_its_bytes_type_and_cache(media):
    base, counting = media
    key = upload(base)
    cookie = issued_cookies(base)
    before = counting.gets()
    first = media_get(base, key, cookie)
    assert first.status_code == 200, first.text
    assert first.content == IMAGE
    assert first.headers["Content-Type"] == "image/png"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Disposition" not in first.headers
    cache_control = first.headers["Cache-Control"]
    assert cache_control.startswith("private, max-age=")
    assert 0 < int(cache_control.split("=")[1]) <= 600, "never beyond the cookies' remaining life"
    assert "x-amz-request-id" not in {name.lower() for name in first.headers}
    assert counting.gets() == before + 1

    second = media_get(base, key, cookie)
    assert second.status_code == 200 and second.content == IMAGE
    assert second.headers["X-Presignd-Cache"] == "HIT"
    assert counting.gets() == before + 1, "the second request is served from nginx's cache: no request reached the store"

    partial = media_get(base, key, cookie, {"Range": "bytes=0-99"})
    assert partial.status_code == 206 and partial.content == IMAGE[:100]
    assert partial.headers["Content-Range"] == f"bytes 0-99/{len(IMAGE)}"
    # Many ranges never cost more than the object (issue 23: 1,000 one-byte ranges returned 4.5×).
    many = media_get(base, key, cookie, {"Range": "bytes=" + ",".join(f"{n}-{n}" for n in range(1000))})
    assert many.status_code == 200 and many.content == IMAGE, (many.status_code, len(many.content))
    two = media_get(base, key, cookie, {"Range": "bytes=0-0,10-10"})
    assert two.status_code == 200 and len(two.content) == len(IMAGE)
    etag = first.headers["ETag"]
    assert media_get(base, key, cookie, {"If-None-Match": etag}).status_code == 304
    assert media_get(base, key, cookie, {"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    assert counting.gets() == before + 1


# Every header the client may see from the media route: the object's own (allow-listed by
# nginx/presignd-media.js before the cache), nginx's, and the route's.
ALLOWED_HEADERS = {"content-type", "content-length", "etag", "last-modified", "accept-ranges", "content-range",
                   "cache-control", "x-content-type-options", "x-presignd-cache", "date", "server", "connection",
                   "keep-alive", "content-disposition", "content-security-policy"}


def test_only_the_objects_allow_listed_headers_reach_the_client(media, ministack):
    """Issue 23 §3: the store's headers were hidden by a deny-list, and ministack's
    x-amzn-requestid (and any x-amz-meta-*) got through, from the cache too."""
    base, _ = media
    key = "avatars/alice/with-metadata.png"
    ministack.client().put_object(Bucket=ministack.bucket, Key=key, Body=IMAGE, ContentType="image/png",
                                  Metadata={"owner": "alice", "secret-note": "do-not-leak"}, ServerSideEncryption="AES256",
                                  CacheControl="public, max-age=99999", ContentDisposition="attachment; filename=x.png")
    cookie = issued_cookies(base)
    for attempt in ("MISS", "HIT"):
        r = media_get(base, key, cookie)
        assert r.status_code == 200 and r.content == IMAGE
        assert r.headers["X-Presignd-Cache"] == attempt
        names = {name.lower() for name in r.headers}
        assert names <= ALLOWED_HEADERS, f"{attempt}: the store's headers leaked: {sorted(names - ALLOWED_HEADERS)}"
        assert not any(name.startswith("x-amz") for name in names)
        assert r.headers["Content-Type"] == "image/png" and r.headers["ETag"] and r.headers["Last-Modified"]
        assert r.headers["Cache-Control"].startswith("private, max-age="), "the route's cache time, not the upload's"
        assert "Content-Disposition" not in r.headers, "the upload's own disposition is not the media route's"
        assert "do-not-leak" not in str(r.headers)
    partial = media_get(base, key, cookie, {"Range": "bytes=0-9"})
    assert partial.status_code == 206 and {name.lower() for name in partial.headers} <= ALLOWED_HEADERS


def test_bad_cookies_are_refused(media, keys):
    base, counting = media
    key = upload(base)
    now = int(time.time())
    url = f"https://{CDN}/{key}"
    session = session_cookie(base)
    good = signed_cookies(keys["new"], KEY_ID, f"https://{CDN}/avatars/*", now + 300, session=session)
    assert media_get(base, key, good).status_code == 200, "the refusal cases differ from this one in one thing each"
    cases = {
        "none": None,
        "forged": good.replace("CloudFront-Signature=", "CloudFront-Signature=AAAA"),
        "truncated": good.split("; CloudFront-Key-Pair-Id")[0][:-20] + "; CloudFront-Key-Pair-Id=" + KEY_ID + "; CloudFront-Hash-Algorithm=SHA256",
        "expired": signed_cookies(keys["new"], KEY_ID, url, now - 1, session=session),
        "not yet valid": signed_cookies(keys["new"], KEY_ID, url, now + 600, greater_than=now + 300, session=session),
        "wrong key": signed_cookies(keys["untrusted"], KEY_ID, url, now + 300, session=session),
        "unknown key id": signed_cookies(keys["untrusted"], "KSOMEONEELSE", url, now + 300, session=session),
        "wrong resource": signed_cookies(keys["new"], KEY_ID, f"https://{CDN}/documents/*", now + 300, session=session),
        "wrong domain": signed_cookies(keys["new"], KEY_ID, f"https://cdn.other.test/{key}", now + 300, session=session),
        "wrong IP": signed_cookies(keys["new"], KEY_ID, url, now + 300, ip="203.0.113.0/24", session=session),
        "no media session": signed_cookies(keys["new"], KEY_ID, url, now + 300),
        "another key's session": signed_cookies(keys["new"], KEY_ID, url, now + 300, session="Presignd-Media=1.YWxpY2U.1.9999999999.AAAA"),
    }
    before = counting.gets()
    for name, cookie in cases.items():
        r = media_get(base, key, cookie)
        assert r.status_code == 403, (name, r.status_code, r.text)
        assert r.json()["error"]["code"] == "media_forbidden", name
    assert media_get(base, key, signed_cookies(keys["new"], KEY_ID, url, now + 300, ip="127.0.0.1", session=session)).status_code == 200
    assert counting.gets() == before, "refused requests never reach the store"


def test_key_rotation_old_and_new_keys_both_verify(media, keys):
    base, _ = media
    key = upload(base)
    now = int(time.time())
    url = f"https://{CDN}/{key}"
    old = signed_cookies(keys["old"], OLD_KEY_ID, url, now + 300, sha256=False, session=session_cookie(base))
    assert media_get(base, key, old).status_code == 200, \
        "cookies from the old RSA key (SHA-1, CloudFront's default) still work during the rotation"
    assert media_get(base, key, issued_cookies(base)).status_code == 200, "new cookies are signed by the new ECDSA key"
    assert f"CloudFront-Key-Pair-Id={KEY_ID}" in issued_cookies(base)


def test_owner_only_paths(media):
    base, _ = media
    key = upload(base, purpose="image", name="private.png")
    assert key.startswith("images/alice/")
    cookie = issued_cookies(base)
    assert media_get(base, key, cookie, jwt_cookie=token("alice")).status_code == 200
    refused = media_get(base, key, cookie, jwt_cookie=token("bob"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "media_forbidden"
    assert media_get(base, key, cookie).status_code == 403, "without the owner's token"
    avatar = upload(base, user="alice")
    assert media_get(base, avatar, issued_cookies(base, "bob")).status_code == 200, "avatars: any holder of valid cookies"


def test_script_types_are_attachments_and_missing_objects_404(media):
    base, counting = media
    key = upload(base, purpose="document", name="page.html", content_type="text/html", data=b"<script>alert(1)</script>")
    cookie = issued_cookies(base)
    r = media_get(base, key, cookie)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Content-Disposition"] == "attachment"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == "sandbox", "script-capable types run nothing even if rendered"
    image = media_get(base, upload(base), cookie)
    assert image.status_code == 200 and "Content-Security-Policy" not in image.headers

    missing = media_get(base, "avatars/alice/00000000-0000-4000-8000-000000000000.png", cookie)
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "no such file"}}, "nothing of the store's answer leaks"


def test_path_tricks_never_reach_another_key(media):
    base, counting = media
    secret = upload(base, purpose="image", name="bob.png", user="bob")
    cookie = issued_cookies(base)
    bob_id = secret.split("/")[-1]
    before = counting.gets()
    for path in [f"avatars/../images/bob/{bob_id}", f"avatars/%2e%2e/images/bob/{bob_id}", f"avatars%2f..%2fimages/bob/{bob_id}",
                 f"avatars/%252e%252e/images/bob/{bob_id}", f"avatars/x%00/../../images/bob/{bob_id}", f"images/bob%2f{bob_id}",
                 f"avatars/%2E%2E%2F%2E%2E%2Fimages/bob/{bob_id}"]:
        r = requests.get(f"{base}/media/{path}", headers={"Cookie": cookie + f"; presignd_token={token('alice')}"}, timeout=10)
        assert r.status_code in (400, 403, 404), (path, r.status_code)
        assert r.content != IMAGE, path
    assert counting.gets() == before, "none of them reached the store"
