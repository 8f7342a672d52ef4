"""Quotas per user (issue 11, section 3) against real peers: nginx → presignd (2 workers × 32
threads) → PostgreSQL 15, uploads to ministack (AUTH=true).

What is proved: the reservation is taken in the statement that writes the row, so 50 presigns
released at the same instant against a quota of 10 files give exactly 10 rows, 10 audit rows
and a usage row of 10 (the other 40 are 403 `quota_exceeded` saying the limit, the usage and
what to delete); a reject, a delete and an expiry each release what they held; a confirm
corrects the declared size to the actual one; a byte quota refuses a multipart upload that would
not fit and aborts it in the store; `GET /api/usage` shows the same numbers as the table; and
usage is kept without quotas too, so quotas turned on later count what was uploaded before."""
import json
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from harness.common import API, BINARY, PNG, post_form, status_of

MIB = 1 << 20
PURPOSES = {
    "avatar": {"prefix": "avatars", "maxSize": 4096, "allowedType": "image/", "quotaFiles": 10},
    "document": {"prefix": "documents", "maxSize": 65536, "quotaBytes": 200_000},
    "media": {"prefix": "media", "maxSize": 64 * MIB, "quotaBytes": 12 * MIB},
}


@pytest.fixture(scope="module")
def quota_env(flows_env):
    env = dict(flows_env, PRESIGND_PURPOSES=json.dumps(PURPOSES), PRESIGND_MULTIPART_PART_SIZE=str(5 * MIB),
               PRESIGND_UPPY_PURPOSE="document")
    out = subprocess.run([BINARY, "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return env


@pytest.fixture(scope="module")
def api(quota_env, module_stack):
    # 50 requests at once: nginx opens up to 50 connections, and a kept-alive connection holds
    # its thread, so the workers need more threads than that (README, "Sizing").
    _, proxy = module_stack("quota-stack", quota_env, workers=2, threads=32)
    return API(proxy.url)


def presign_body(purpose="avatar", size=len(PNG), name="me.png", content_type="image/png"):
    return {"purpose": purpose, "fileName": name, "contentType": content_type, "fileSize": size}


def usage_row(postgres, user, purpose):
    rows = postgres.psql(f"SELECT files, bytes FROM upload_usage WHERE owner_id = '{user}' AND purpose = '{purpose}'")
    return tuple(int(v) for v in rows[0]) if rows else (0, 0)


def usage_route(api, user, purpose):
    r = api.call("GET", "/api/usage", user)
    assert r.status_code == 200, r.text
    entry = next(p for p in r.json()["purposes"] if p["purpose"] == purpose)
    return entry["files"], entry["bytes"], entry["quota"]


def test_fifty_presigns_at_once_against_ten_files_give_exactly_ten(api, postgres):
    user = "racer"
    barrier = threading.Barrier(50)

    def one(_):
        barrier.wait()
        return api.call("POST", "/api/uploads/presign", user, presign_body())

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(one, range(50)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(200) == 10 and statuses.count(403) == 40, statuses
    refusal = next(r for r in answers if r.status_code == 403).json()["error"]
    assert refusal["code"] == "quota_exceeded"
    assert '"avatar" quota of 10 files' in refusal["message"] and "you use 10 files" in refusal["message"]
    assert "DELETE /api/documents/{id}" in refusal["message"] and refusal["request_id"]
    assert postgres.psql(f"SELECT count(*) FROM documents WHERE owner_id = '{user}'") == [["10"]]
    assert postgres.psql(f"SELECT count(*) FROM audit_log WHERE actor = '{user}' AND action = 'upload.presign'") == [["10"]]
    assert usage_row(postgres, user, "avatar") == (10, 10 * len(PNG))
    assert usage_route(api, user, "avatar") == (10, 10 * len(PNG), {"files": 10, "bytes": None})


def test_reject_delete_and_expiry_release_and_confirm_corrects(api, quota_env, postgres):
    user = "cycler"
    # Uppy's simple upload declares no size: the purpose's maximum is reserved until confirm.
    params = api.call("GET", "/api/uppy/s3/params", user, params={"filename": "r.pdf", "type": "application/pdf"})
    assert params.status_code == 200, params.text
    assert usage_row(postgres, user, "document") == (1, 65536)
    form = params.json()
    sent = requests.post(form["url"], data=list(form["fields"].items()), files={"file": ("r.pdf", b"%PDF-1.4\n" + b"x" * 991)},
                         timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    confirmed = api.call("POST", "/api/uploads/confirm", user, {"key": form["fields"]["key"]})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "ready", confirmed.text
    doc = {"fileId": confirmed.json()["fileId"]}
    assert usage_row(postgres, user, "document") == (1, 1000), "confirm charges the actual size"
    declared = 60_000

    # 200,000 bytes: 1,000 used, so 60,000 + 60,000 + 60,000 fit and a fourth does not.
    held = [api.presign(user, purpose="document", name=f"{i}.pdf", content_type="application/pdf", size=declared) for i in range(3)]
    over = api.call("POST", "/api/uploads/presign", user, presign_body("document", declared, "x.pdf", "application/pdf"))
    assert over.status_code == 403 and over.json()["error"]["code"] == "quota_exceeded"
    assert "195.3 KiB" in over.json()["error"]["message"] and "you use 4 files and 176.8 KiB" in over.json()["error"]["message"]

    # Reject: an upload of another size than declared.
    avatar = api.presign(user, purpose="avatar", name="a.png", content_type="image/png", size=len(PNG))
    assert usage_row(postgres, user, "avatar") == (1, len(PNG))
    assert post_form(avatar, PNG + b"extra bytes").status_code in (200, 201, 204)  # not the declared size
    rejected = api.confirm(avatar["fileId"], user)
    assert rejected.status_code == 422, rejected.text
    assert status_of(postgres, avatar["fileId"]) == "rejected"
    assert usage_row(postgres, user, "avatar") == (0, 0), "a reject releases"

    # Delete: the ready document's 1,000 bytes and its file go back.
    assert api.call("DELETE", f"/api/documents/{doc['fileId']}", user).status_code == 204
    assert usage_row(postgres, user, "document") == (3, 3 * declared)

    # Expiry: the three pending uploads, made old, are expired by the sweeper.
    ids = ",".join(f"'{p['fileId']}'" for p in held)
    postgres.psql(f"UPDATE documents SET created_at = now() - interval '2 days' WHERE id IN ({ids})")
    swept = subprocess.run([BINARY, "sweep"], env=quota_env, capture_output=True, text=True, timeout=60)
    assert swept.returncode == 0, swept.stderr
    assert [status_of(postgres, p["fileId"]) for p in held] == ["expired"] * 3
    assert usage_row(postgres, user, "document") == (0, 0), "an expiry releases"
    assert usage_route(api, user, "document")[:2] == (0, 0)
    # And the quota is usable again.
    assert api.call("POST", "/api/uploads/presign", user, presign_body("document", declared, "y.pdf", "application/pdf")).status_code == 200


def test_multipart_over_the_byte_quota_is_refused_and_aborted(api, postgres, ministack):
    user = "filmmaker"
    fits = api.call("POST", "/api/uploads/multipart", user,
                    {"purpose": "media", "fileName": "a.mp4", "contentType": "video/mp4", "fileSize": 8 * MIB})
    assert fits.status_code == 200, fits.text
    over = api.call("POST", "/api/uploads/multipart", user,
                    {"purpose": "media", "fileName": "b.mp4", "contentType": "video/mp4", "fileSize": 8 * MIB})
    assert over.status_code == 403 and over.json()["error"]["code"] == "quota_exceeded", over.text
    assert usage_row(postgres, user, "media") == (1, 8 * MIB)
    s3 = ministack.client()
    uploads = s3.list_multipart_uploads(Bucket=ministack.bucket, Prefix=f"media/{user}/").get("Uploads", [])
    assert [u["UploadId"] for u in uploads] == [fits.json()["uploadId"]], "the refused upload was aborted in the store"
    # Aborting the first releases its reservation.
    assert api.call("DELETE", f"/api/uploads/{fits.json()['fileId']}", user).status_code in (200, 204)
    assert usage_row(postgres, user, "media") == (0, 0)


def test_usage_is_kept_without_quotas_and_counts_when_quotas_come(api, flows_env, module_stack, postgres):
    """Without quotas every upload still keeps its owner's usage row (read, never counted), so a
    presignd started with quotas on the same database charges what was uploaded before, with no
    recount: 9 avatars held, the 10th fits, the 11th does not."""
    _, plain_proxy = module_stack("no-quota-stack", flows_env, workers=2, threads=32)
    plain = API(plain_proxy.url)
    user = "before-quotas"
    ready = plain.presign(user, purpose="avatar")
    assert post_form(ready, PNG).status_code in (200, 201, 204)
    assert plain.confirm(ready["fileId"], user).status_code == 200
    for _ in range(8):
        plain.presign(user, purpose="avatar")
    assert usage_row(postgres, user, "avatar") == (9, 9 * len(PNG))
    assert usage_route(plain, user, "avatar") == (9, 9 * len(PNG), {"files": None, "bytes": None})

    assert usage_route(api, user, "avatar") == (9, 9 * len(PNG), {"files": 10, "bytes": None})

    # Without a quota the row is changed last in the statement (nothing waits on it first): 20
    # presigns of one new user released at once still count exactly 20, the first one making the row.
    racer = "racing-without-quota"
    barrier = threading.Barrier(20)

    def presign_now(_):
        barrier.wait()
        return plain.call("POST", "/api/uploads/presign", racer, presign_body()).status_code

    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(presign_now, range(20))) == [200] * 20
    assert usage_row(postgres, racer, "avatar") == (20, 20 * len(PNG))
    assert api.call("POST", "/api/uploads/presign", user, presign_body()).status_code == 200
    over = api.call("POST", "/api/uploads/presign", user, presign_body())
    assert over.status_code == 403 and over.json()["error"]["code"] == "quota_exceeded", over.text


def test_racing_deletes_release_once_and_write_one_audit_row(api, postgres):
    """12 deletes of one ready document released at the same instant: one 204, one audit row,
    and the owner's usage goes down by exactly that document (released in the winner's statement)."""
    user = "deleter"
    kept = api.presign(user, purpose="avatar")
    assert post_form(kept, PNG).status_code in (200, 201, 204)
    assert api.confirm(kept["fileId"], user).status_code == 200
    doomed = api.presign(user, purpose="avatar")
    assert post_form(doomed, PNG).status_code in (200, 201, 204)
    assert api.confirm(doomed["fileId"], user).status_code == 200
    assert usage_row(postgres, user, "avatar") == (2, 2 * len(PNG))

    barrier = threading.Barrier(12)

    def delete(_):
        barrier.wait()
        return api.call("DELETE", f"/api/documents/{doomed['fileId']}", user).status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(delete, range(12)))
    assert statuses == [204] + [404] * 11, statuses
    assert postgres.psql(f"SELECT count(*) FROM audit_log WHERE resource = 'document:{doomed['fileId']}' "
                         "AND action = 'document.delete'") == [["1"]]
    assert usage_row(postgres, user, "avatar") == (1, len(PNG)), "released once, not once per request"
