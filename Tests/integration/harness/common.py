"""What the integration tests share besides the servers: the flows configuration's constants,
the one token maker, the client for the API through nginx, and the small upload and database
helpers. Test modules import these from here, never from each other."""
import base64
import hashlib
import os
import re
import subprocess
import time
import urllib.parse

import jwt
import requests

BINARY = os.environ.get("PRESIGND_BINARY", "")

# The flows configuration (conftest.py's flows_env): two purposes, the CDN on cdn.app.test.
JWT_SECRET = "flows-test-secret-0123456789abcdef0123456789"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"
CDN_DOMAIN = "cdn.app.test"
PURPOSES = {
    "avatar": {"prefix": "avatars", "maxSize": 4096, "allowedType": "image/"},
    "document": {"prefix": "documents", "maxSize": 65536},
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2  # 520 bytes

# Honest files of a given size: the first bytes a real file of the type starts with (confirm
# identifies the content, ContentCheck.swift), then random bytes to fill the size.
SIGNATURES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
}


def honest(kind, size):
    """`size` bytes of a file of `kind` (pdf, mp4, png: its signature, then random bytes; text:
    printable random text)."""
    if kind == "text":
        return (base64.b64encode(os.urandom(size)) + b"\n")[:size - 1] + b"\n"
    return (SIGNATURES[kind] + os.urandom(size))[:size]


# What no log may hold: conftest.py checks every log after the suite, test_faults.py its own.
LOG_SECRET_PATTERNS = {
    "an X-Amz-Signature value": re.compile(r"X-Amz-Signature=[0-9a-f]{16}", re.I),
    "a CloudFront signature": re.compile(r"CloudFront-Signature=[A-Za-z0-9~_-]{16}"),
    "a JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "a bearer token": re.compile(r"Bearer [A-Za-z0-9_-]{20,}"),
}


def make_token(user="alice", secret=JWT_SECRET, lifetime=600, algorithm="HS256", headers=None, **claims):
    """A JWT for `user` (sub), issued now (iat) and valid for `lifetime` seconds (exp), signed
    with `secret` (an HMAC secret, or a private key for another `algorithm`). `claims` are added
    or replace those; a claim given as None is left out (iat=None: no iat)."""
    now = int(time.time())
    payload = {"sub": user, "iat": now, "exp": now + lifetime}
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, secret, algorithm=algorithm, headers=headers)


class API:
    """Calls presignd through nginx as a given user, with tokens signed by `secret` (the flows
    configuration's by default; a module with a stack of its own passes its own)."""

    def __init__(self, base, secret=JWT_SECRET):
        self.base = base
        self.secret = secret

    @staticmethod
    def token(user):
        return make_token(user)

    def call(self, method, path, user="alice", body=None, params=None, **claims):
        """`claims` go into the token (scope="presignd:admin", iat=…)."""
        headers = {"Authorization": f"Bearer {make_token(user, secret=self.secret, **claims)}"} if user else {}
        return requests.request(method, self.base + path, headers=headers, json=body, params=params, timeout=30)

    def presign(self, user="alice", purpose="avatar", name="me.png", content_type="image/png", size=len(PNG), method=None):
        body = {"purpose": purpose, "fileName": name, "contentType": content_type, "fileSize": size}
        if method:
            body["method"] = method
        r = self.call("POST", "/api/uploads/presign", user, body)
        assert r.status_code == 200, r.text
        return r.json()

    def confirm(self, file_id, user="alice"):
        return self.call("POST", "/api/uploads/confirm", user, {"fileId": file_id})


def post_form(presigned, data, content_type=None):
    """A browser's multipart POST: every field first, the file last."""
    fields = dict(presigned["fields"])
    if content_type:
        fields["Content-Type"] = content_type
    return requests.post(presigned["url"], data=list(fields.items()), files={"file": ("upload.bin", data)}, timeout=30)


def upload_ready(api, user="alice", name="me.png", data=PNG, purpose="avatar", content_type="image/png"):
    p = api.presign(user, purpose=purpose, name=name, content_type=content_type, size=len(data))
    r = post_form(p, data)
    assert r.status_code in (200, 201, 204), r.text
    c = api.confirm(p["fileId"], user)
    assert c.status_code == 200, c.text
    return p


# What POST /api/auth/cdn-cookies sets, in order: the CloudFront cookies and the media session.
CDN_COOKIE_NAMES = ["CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id", "Presignd-Media"]


def cdn_cookies(base, bearer):
    """The Cookie header a browser sends after POST /api/auth/cdn-cookies with token `bearer`."""
    r = requests.post(base + "/api/auth/cdn-cookies", headers={"Authorization": f"Bearer {bearer}"}, timeout=30)
    assert r.status_code == 200, r.text
    pairs = [c.split(";", 1)[0] for c in r.raw.headers.getlist("Set-Cookie")]
    assert [pair.split("=", 1)[0] for pair in pairs] == CDN_COOKIE_NAMES, pairs
    return "; ".join(pairs)


def audit_actions(postgres, file_id):
    return [row[0] for row in postgres.psql(
        f"SELECT action FROM audit_log WHERE resource = 'document:{file_id}' ORDER BY id")]


def status_of(postgres, file_id):
    return postgres.psql(f"SELECT status FROM documents WHERE id = '{file_id}'")[0][0]


# Multipart uploads through the API (test_lifecycle.py against ministack, test_ceph_rgw.py against RGW).

def create_multipart(api, size, user="alice", name="film.mp4", content_type="video/mp4", purpose="media"):
    r = api.call("POST", "/api/uploads/multipart", user,
                 {"purpose": purpose, "fileName": name, "contentType": content_type, "fileSize": size})
    assert r.status_code == 200, r.text
    return r.json()


def put_parts(api, upload, data, numbers=None, user="alice"):
    """PUTs each part's bytes to its signed URL (the store must take them); returns [{partNumber, etag}]."""
    numbers = numbers or list(range(1, upload["partCount"] + 1))
    signed = api.call("POST", f"/api/uploads/{upload['fileId']}/parts", user, {"partNumbers": numbers})
    assert signed.status_code == 200, signed.text
    size = upload["partSize"]
    parts = []
    for part in signed.json()["parts"]:
        n = part["partNumber"]
        chunk = data[(n - 1) * size:n * size]
        assert part["size"] == len(chunk)
        r = requests.put(part["url"], data=chunk, timeout=60)
        assert r.status_code == 200, r.text
        parts.append({"partNumber": n, "etag": r.headers["ETag"]})
    return parts


def download(api, file_id, user="alice"):
    d = api.call("GET", f"/api/documents/{file_id}/download", user)
    assert d.status_code == 200, d.text
    return requests.get(d.json()["url"], timeout=60)


def assert_a_lost_upload_ends_aborted(api, postgres, store, route):
    """A multipart upload `store` (a harness S3 peer) aborts behind presignd's back: `route` (list,
    complete, uppy-list or resume) answers 409 upload_aborted twice, the row ends aborted with one audit
    row, and signing its parts says aborted too."""
    data = honest("mp4", 6 << 20)
    upload = create_multipart(api, len(data))
    parts = put_parts(api, upload, data, numbers=[1])
    store.client().abort_multipart_upload(Bucket=store.bucket, Key=upload["key"], UploadId=upload["uploadId"])
    uppy = "/api/uppy/s3/multipart/" + urllib.parse.quote(upload["uploadId"], safe="")
    calls = {
        "list": lambda: api.call("GET", f"/api/uploads/{upload['fileId']}/parts"),
        "complete": lambda: api.call("POST", f"/api/uploads/{upload['fileId']}/complete", body={"parts": parts}),
        "uppy-list": lambda: api.call("GET", uppy, params={"key": upload["key"]}),
        "resume": lambda: api.call("POST", f"/api/uploads/{upload['fileId']}/resume"),
    }
    for _ in range(2):
        r = calls[route]()
        assert r.status_code == 409 and r.json()["error"]["code"] == "upload_aborted", r.text
    assert status_of(postgres, upload["fileId"]) == "aborted"
    assert audit_actions(postgres, upload["fileId"]) == ["upload.create", "upload.abort"]
    signed = api.call("POST", f"/api/uploads/{upload['fileId']}/parts", body={"partNumbers": [1]})
    assert signed.status_code == 409 and signed.json()["error"]["code"] == "upload_aborted"


# `presignd bucket-setup` against a store (test_bucket_setup.py on ministack, test_ceph_rgw.py on RGW).

SETUP_ORIGIN = "http://app.localhost:8080"


def bucket_setup_env(store, bucket, **extra):
    """bucket-setup's environment for `bucket` of `store` (a harness S3 peer), two CORS origins."""
    env = store.env()
    env.update(AWS_ENDPOINT_URL_S3=store.endpoint, PRESIGND_S3_ADDRESSING="path", PRESIGND_BUCKET=bucket,
               PRESIGND_CORS_ORIGINS=f"{SETUP_ORIGIN}, https://app.example.com", PRESIGND_JWT_HS256_SECRET="x" * 32)
    env.update(extra)
    return env


def run_bucket_setup(env, *args):
    """(exit code, stdout, stderr) of `presignd bucket-setup ARGS`."""
    out = subprocess.run([BINARY, "bucket-setup", *args], env=env, capture_output=True, text=True, timeout=60)
    return out.returncode, out.stdout, out.stderr


def preflight(store, bucket, origin, method="PUT"):
    """A browser's CORS preflight for an upload to `bucket` from `origin`."""
    return requests.options(f"{store.endpoint}/{bucket}/documents/x.pdf", timeout=10,
                            headers={"Origin": origin, "Access-Control-Request-Method": method,
                                     "Access-Control-Request-Headers": "content-type"})


def media_file(path, size, seed):
    """A file of `size` bytes at `path` that confirm takes for an MP4 (its signature first), the
    rest pseudo-random from `seed` (the same seed, the same bytes), written a MiB at a time."""
    mib = 1 << 20
    with open(path, "wb") as f:
        f.write(SIGNATURES["mp4"])
        left, n = size - len(SIGNATURES["mp4"]), 0
        while left > 0:
            block = hashlib.sha256(seed + n.to_bytes(4, "big")).digest() * (mib // 32)
            f.write(block[:left])
            left -= min(left, len(block))
            n += 1
    return path
