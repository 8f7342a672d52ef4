"""The product's flows end to end: real nginx -> presignd (FastCGI) -> real PostgreSQL, and a
strict S3 server (ministack, AUTH=true, IAM user key) that checks what presignd signed.

Uploads go from the test straight to S3 with the presigned POST form (fields first, file
last) or PUT URL, as a browser would; downloads fetch the presigned GET URL.
"""
import base64
import json
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from harness.common import CDN_DOMAIN, KEY_PAIR_ID, PNG, audit_actions, post_form, status_of, upload_ready

# The stack (conftest.py): `api` is presignd (2 workers x 4 threads) behind a real nginx, on
# flows_env (harness/common.py's purposes, secret and CDN) and this module's own database.


# ---------------------------------------------------------------------------------------------

def test_readyz_needs_no_token(api):
    r = requests.get(api.base + "/readyz", timeout=10)
    assert r.status_code == 200 and r.json() == {"status": "ready"}


def test_post_upload_confirm_list_download(api, postgres, ministack):
    p = api.presign(name="../../Photo of me.PNG")
    assert p["method"] == "POST" and p["headers"] == {}
    assert p["key"] == f"avatars/alice/{p['fileId']}.png"
    assert p["fields"]["Content-Disposition"] == \
        "attachment; filename=\"Photo of me.PNG\"; filename*=UTF-8''Photo%20of%20me.PNG"
    policy = json.loads(base64.b64decode(p["fields"]["policy"]))
    assert ["content-length-range", 1, 4096] in policy["conditions"]
    assert ["starts-with", "$Content-Type", "image/"] in policy["conditions"]
    assert status_of(postgres, p["fileId"]) == "pending"

    early = api.confirm(p["fileId"])
    assert early.status_code == 409 and early.json()["error"]["code"] == "upload_incomplete"

    r = post_form(p, PNG)
    assert r.status_code in (200, 201, 204), r.text
    c = api.confirm(p["fileId"])
    assert c.status_code == 200, c.text
    assert c.json() == {"fileId": p["fileId"], "status": "ready", "size": len(PNG), "contentType": "image/png"}
    assert api.confirm(p["fileId"]).json() == c.json()  # confirming twice is harmless
    assert postgres.psql(f"SELECT status, actual_size, actual_type FROM documents WHERE id = '{p['fileId']}'") == \
        [["ready", str(len(PNG)), "image/png"]]

    listed = api.call("GET", "/api/documents").json()
    assert p["fileId"] in [d["id"] for d in listed["documents"]]

    d = api.call("GET", f"/api/documents/{p['fileId']}/download")
    assert d.status_code == 200, d.text
    assert d.json()["fileName"] == "Photo of me.PNG"
    got = requests.get(d.json()["url"], timeout=30)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["Content-Disposition"] == \
        "attachment; filename=\"Photo of me.PNG\"; filename*=UTF-8''Photo%20of%20me.PNG"
    assert got.headers["Content-Type"] == "image/png"

    inline = api.call("GET", f"/api/documents/{p['fileId']}/download", params={"disposition": "inline"}).json()
    assert requests.get(inline["url"], timeout=30).headers["Content-Disposition"].startswith("inline; ")

    assert audit_actions(postgres, p["fileId"]) == ["upload.presign", "upload.confirm", "document.download", "document.download"]


def test_a_file_the_browser_cannot_type_uploads_where_the_purpose_takes_any_type(api, postgres):
    """Issue 20 §4: the seeds' pages send `contentType: file.type`, which is "" for a file with no
    extension the browser knows. For a purpose that takes any type it is an unknown type
    (application/octet-stream): the store takes the bytes and the upload becomes ready; an image
    purpose refuses it saying why."""
    r = api.call("POST", "/api/uploads/presign", "alice",
                 {"purpose": "document", "fileName": "README", "contentType": "", "fileSize": 11})
    assert r.status_code == 200, r.text
    presigned = r.json()
    assert presigned["fields"]["Content-Type"] == "application/octet-stream"
    assert post_form(presigned, b"hello world").status_code in (200, 201, 204)
    confirmed = api.confirm(presigned["fileId"])
    assert confirmed.status_code == 200 and confirmed.json()["contentType"] == "application/octet-stream", confirmed.text
    assert status_of(postgres, presigned["fileId"]) == "ready"
    refused = api.call("POST", "/api/uploads/presign", "alice",
                       {"purpose": "avatar", "fileName": "me", "contentType": "", "fileSize": 11})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "content_type_not_allowed", refused.text
    assert "the file's type is unknown" in refused.json()["error"]["message"]


def test_put_upload_with_listed_headers(api):
    data = b"%PDF-1.4 contract \xe2\x9c\x93"
    p = api.presign(purpose="document", name="Résumé \"final\".pdf", content_type="application/pdf", size=len(data), method="PUT")
    assert p["method"] == "PUT" and p["fields"] == {}
    assert p["headers"]["Content-Type"] == "application/pdf"
    # The signed Content-Type is enforced: another type breaks the signature.
    wrong = requests.put(p["url"], data=data, headers={"Content-Type": "text/html"}, timeout=30)
    assert wrong.status_code == 403
    # So is the declared length: a longer or shorter body breaks it too.
    for body in (data + b"x", data[:-1]):
        assert requests.put(p["url"], data=body, headers=p["headers"], timeout=30).status_code == 403
    r = requests.put(p["url"], data=data, headers=p["headers"], timeout=30)
    assert r.status_code == 200, r.text
    assert api.confirm(p["fileId"]).status_code == 200
    d = api.call("GET", f"/api/documents/{p['fileId']}/download").json()
    got = requests.get(d["url"], timeout=30)
    assert got.content == data
    assert got.headers["Content-Disposition"] == \
        "attachment; filename=\"R_sum_ _final_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf"


def test_s3_refuses_oversize_and_wrong_type(api, postgres):
    p = api.presign(size=100)
    too_big = post_form(p, b"x" * 5000)
    assert too_big.status_code == 400 and b"EntityTooLarge" in too_big.content
    wrong_type = post_form(p, PNG, content_type="text/html")
    assert wrong_type.status_code == 403 and b"Policy Condition failed" in wrong_type.content
    assert api.confirm(p["fileId"]).status_code == 409
    assert status_of(postgres, p["fileId"]) == "pending"


def test_presign_validation_errors_name_the_field(api, postgres):
    before = postgres.psql("SELECT count(*) FROM documents")[0][0]
    cases = [
        ({"purpose": "banner", "fileName": "a.png", "contentType": "image/png", "fileSize": 1}, "invalid_purpose", "purpose"),
        ({"purpose": "avatar", "fileName": "a.png", "contentType": "image/png", "fileSize": 4097}, "file_too_large", "fileSize"),
        ({"purpose": "avatar", "fileName": "a.pdf", "contentType": "application/pdf", "fileSize": 1}, "content_type_not_allowed", "contentType"),
        ({"purpose": "avatar", "contentType": "image/png", "fileSize": 1}, "missing_field", "fileName"),
    ]
    for body, code, field in cases:
        r = api.call("POST", "/api/uploads/presign", body=body)
        assert r.status_code == 400, body
        assert r.json()["error"]["code"] == code
        assert f'"{field}"' in r.json()["error"]["message"]
    assert postgres.psql("SELECT count(*) FROM documents")[0][0] == before


def test_swapped_file_is_rejected_at_confirm_and_deleted(api, postgres, ministack):
    s3 = ministack.client()
    p = api.presign(size=len(PNG))
    assert post_form(p, PNG + b"extra bytes").status_code in (200, 201, 204)  # within the policy, not the declaration
    r = api.confirm(p["fileId"])
    assert r.status_code == 422
    assert r.json()["error"]["message"] == \
        f"the uploaded object is {len(PNG) + 11} bytes but {len(PNG)} bytes were declared; the object was deleted, upload again"
    with pytest.raises(Exception):
        s3.head_object(Bucket=ministack.bucket, Key=p["key"])
    assert status_of(postgres, p["fileId"]) == "rejected"
    assert api.confirm(p["fileId"]).status_code == 422

    q = api.presign(size=len(PNG))
    assert post_form(q, PNG, content_type="image/svg+xml").status_code in (200, 201, 204)  # passes starts-with image/
    r = api.confirm(q["fileId"])
    assert r.status_code == 422 and "differs from the declared image/png" in r.json()["error"]["message"]
    assert audit_actions(postgres, q["fileId"]) == ["upload.presign", "upload.reject"]


def test_other_users_get_404(api):
    p = upload_ready(api, "alice")
    doc = p["fileId"]
    assert api.call("GET", f"/api/documents/{doc}/download", "mallory").status_code == 404
    assert api.confirm(doc, "mallory").status_code == 404
    assert api.call("POST", f"/api/documents/{doc}/shares", "mallory", {"userId": "mallory"}).status_code == 404
    assert api.call("DELETE", f"/api/documents/{doc}", "mallory").status_code == 404
    assert api.call("GET", f"/api/documents/{uuid.uuid4()}/download", "mallory").status_code == 404
    assert doc not in [d["id"] for d in api.call("GET", "/api/documents", "mallory").json()["documents"]]
    assert api.call("GET", "/api/documents", None).status_code == 401


def test_sharing_grants_and_revoking_removes(api, postgres):
    doc = upload_ready(api, "alice")["fileId"]
    assert api.call("GET", f"/api/documents/{doc}/download", "bob").status_code == 404
    assert api.call("POST", f"/api/documents/{doc}/shares", "alice", {"userId": "bob"}).status_code == 201
    shared = api.call("GET", f"/api/documents/{doc}/download", "bob")
    assert shared.status_code == 200
    assert requests.get(shared.json()["url"], timeout=30).content == PNG
    assert [d["owned"] for d in api.call("GET", "/api/documents", "bob").json()["documents"] if d["id"] == doc] == [False]
    assert api.call("DELETE", f"/api/documents/{doc}/shares/bob", "alice").status_code == 204
    assert api.call("GET", f"/api/documents/{doc}/download", "bob").status_code == 404
    assert audit_actions(postgres, doc) == ["upload.presign", "upload.confirm", "document.share", "document.download",
                                            "document.unshare"]


def test_delete_removes_object_then_row(api, postgres, ministack):
    p = upload_ready(api, "alice")
    assert api.call("DELETE", f"/api/documents/{p['fileId']}").status_code == 204
    with pytest.raises(Exception):
        ministack.client().head_object(Bucket=ministack.bucket, Key=p["key"])
    assert postgres.psql(f"SELECT count(*) FROM documents WHERE id = '{p['fileId']}'") == [["0"]]
    assert api.call("GET", f"/api/documents/{p['fileId']}/download").status_code == 404
    assert audit_actions(postgres, p["fileId"])[-1] == "document.delete"


def test_hostile_user_ids_stay_in_their_own_prefix(api):
    for user, segment in [("../bob", "~2E~2E~2Fbob"), ("auth0|123", "auth0~7C123"), ("eve@example.com", "eve~40example.com")]:
        p = api.presign(user)
        assert p["key"] == f"avatars/{segment}/{p['fileId']}.png"
        assert post_form(p, PNG).status_code in (200, 201, 204)
        assert api.confirm(p["fileId"], user).status_code == 200


def cloudfront_b64decode(text):
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def test_cdn_cookies_verify_with_the_public_key(api, cloudfront_key, postgres):
    before = int(postgres.psql("SELECT count(*) FROM audit_log WHERE action = 'cdn.cookies'")[0][0])
    r = api.call("POST", "/api/auth/cdn-cookies")
    assert r.status_code == 200, r.text
    cookies = r.raw.headers.getlist("Set-Cookie")
    assert len(cookies) == 4
    values = {}
    for cookie in cookies:
        parts = [part.strip() for part in cookie.split(";")]
        name, value = parts[0].split("=", 1)
        values[name] = value
        assert "Domain=.app.test" in parts and "Path=/" in parts and "HttpOnly" in parts
        assert "Secure" in parts and "SameSite=Lax" in parts
    assert values["CloudFront-Key-Pair-Id"] == KEY_PAIR_ID
    policy = cloudfront_b64decode(values["CloudFront-Policy"])
    cloudfront_key[0].public_key().verify(cloudfront_b64decode(values["CloudFront-Signature"]), policy,
                                          padding.PKCS1v15(), hashes.SHA1())
    statement = json.loads(policy)["Statement"][0]
    assert statement["Resource"] == f"https://{CDN_DOMAIN}/avatars/*"
    expires = statement["Condition"]["DateLessThan"]["AWS:EpochTime"]
    assert time.time() + 3600 - 300 - 5 <= expires <= time.time() + 3600 + 5
    assert r.json()["expiresAt"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))

    # The media session cookie names its user (base64url) and when it was issued, under a MAC.
    version, user, issued, session_expires, mac = values["Presignd-Media"].split(".")
    assert version == "1" and base64.urlsafe_b64decode(user + "=" * (-len(user) % 4)) == b"alice"
    assert abs(int(issued) - time.time()) <= 5 and int(session_expires) == expires and len(mac) == 43

    # Someone else in the same window gets the very same signed policy, and a session of their own.
    other = api.call("POST", "/api/auth/cdn-cookies", "bob").raw.headers.getlist("Set-Cookie")
    cloudfront = sorted(c.split(";")[0] for c in cookies if c.startswith("CloudFront-"))
    assert sorted(c.split(";")[0] for c in other if c.startswith("CloudFront-")) == cloudfront
    assert [c for c in other if c.startswith("Presignd-Media=")] != [c for c in cookies if c.startswith("Presignd-Media=")]
    after = int(postgres.psql("SELECT count(*) FROM audit_log WHERE action = 'cdn.cookies'")[0][0])
    assert after - before == 2

    out = api.call("POST", "/api/auth/logout")
    cleared = out.raw.headers.getlist("Set-Cookie")
    assert sorted(c.split(";")[0] for c in cleared) == ["CloudFront-Key-Pair-Id=", "CloudFront-Policy=", "CloudFront-Signature=",
                                                        "Presignd-Media="]
    assert all("Max-Age=0" in c and "Domain=.app.test" in c for c in cleared)


def test_postgres_outage_gives_503_and_service_returns(api, postgres):
    doc = upload_ready(api, "alice")["fileId"]
    postgres.stop("immediate")
    try:
        r = api.call("POST", "/api/uploads/presign", body={"purpose": "avatar", "fileName": "a.png", "contentType": "image/png", "fileSize": 10})
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "database_unavailable"
        assert r.headers["Retry-After"] == "5"
        assert "url" not in r.json()
        assert requests.get(api.base + "/readyz", timeout=10).status_code == 503
        assert api.call("GET", f"/api/documents/{doc}/download").status_code == 503
    finally:
        postgres.start()
    deadline = time.time() + 20
    while requests.get(api.base + "/readyz", timeout=10).status_code != 200:
        assert time.time() < deadline, "presignd did not recover after PostgreSQL came back"
        time.sleep(0.2)
    # Every worker's connections recover: a burst of requests all succeed.
    for _ in range(20):
        assert api.call("GET", f"/api/documents/{doc}/download").status_code == 200


def test_regression_html_is_never_served_inline(api):
    """An uploaded HTML page opened inline would run its script on the store's origin."""
    page = b"<html><script>alert(document.cookie)</script></html>"
    p = upload_ready(api, name="page.html", data=page, purpose="document", content_type="text/html")
    d = api.call("GET", f"/api/documents/{p['fileId']}/download", params={"disposition": "inline"})
    assert d.status_code == 200, d.text
    got = requests.get(d.json()["url"], timeout=30)
    assert got.status_code == 200 and got.content == page
    assert got.headers["Content-Disposition"].startswith("attachment; filename=\"page.html\"")
