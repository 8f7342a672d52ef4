"""Every route of presignd that reaches PostgreSQL, called through nginx with each answer checked:
single uploads (POST form and PUT, confirmed by id and by key, a confirm too early), listing (a
first, a next and a deep page), downloads, sharing, multipart uploads (completed and aborted), Uppy's
routes, usage, CDN cookies, logout, deletes and /readyz; and what quotas add. test_query_plans.py
plans every statement these requests make; test_distribution_keys.py finds each one's
distribution key. The stack must be configured as harness/common.py's flows (PURPOSES, the CDN,
PRESIGND_UPPY_PURPOSE=document)."""
import os
from urllib.parse import quote

import requests

from .common import upload_ready


def ok(response, *statuses):
    """The response, asserted to have one of `statuses` (200 by default)."""
    assert response.status_code in (statuses or (200,)), \
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:300]}"
    return response


def upload_parts(api, user, signed, data):
    """PUTs each signed part's bytes; returns their ETags by part number."""
    etags = {}
    for number, url in signed.items():
        r = ok(requests.put(url, data=data, timeout=30))
        etags[number] = r.headers["ETag"]
    return etags


def exercise(api, user, other, limit, deep_cursor=None):
    """Every route that reaches PostgreSQL, as `user` (and `other` where a second user is needed),
    each answer checked."""
    # Single uploads: a POST form confirmed by id, a PUT confirmed by key (twice: the same answer),
    # a confirm before the upload (409).
    posted = upload_ready(api, user)
    data = b"%PDF-1.4 query plans"
    put = api.presign(user, purpose="document", name="plans.pdf", content_type="application/pdf", size=len(data), method="PUT")
    ok(requests.put(put["url"], data=data, headers=put["headers"], timeout=30))
    ok(api.call("POST", "/api/uploads/confirm", user, {"key": put["key"]}))
    ok(api.confirm(put["fileId"], user))
    early = api.presign(user)
    ok(api.confirm(early["fileId"], user), 409)

    # Listing: the first page, the next one with the cursor the first returned, a deep page.
    first = ok(api.call("GET", "/api/documents", user, params={"limit": limit})).json()
    assert len(first["documents"]) == limit and first["nextCursor"], first
    assert put["fileId"] in [d["id"] for d in first["documents"]]
    second = ok(api.call("GET", "/api/documents", user, params={"limit": limit, "cursor": first["nextCursor"]})).json()
    assert second["documents"] and not {d["id"] for d in second["documents"]} & {d["id"] for d in first["documents"]}
    if deep_cursor:
        deep = ok(api.call("GET", "/api/documents", user, params={"limit": limit, "cursor": deep_cursor})).json()
        assert len(deep["documents"]) == limit and deep["nextCursor"]

    # Downloads: attachment and inline; another user's is a 404.
    ok(api.call("GET", f"/api/documents/{put['fileId']}/download", user))
    ok(api.call("GET", f"/api/documents/{posted['fileId']}/download", user, params={"disposition": "inline"}))
    ok(api.call("GET", f"/api/documents/{put['fileId']}/download", other), 404)

    # Sharing: share, the other user lists and downloads it, revoke, revoke again (404).
    ok(api.call("POST", f"/api/documents/{put['fileId']}/shares", user, {"userId": other}), 201)
    ok(api.call("POST", f"/api/documents/{put['fileId']}/shares", user, {"userId": other}), 201)
    listed = ok(api.call("GET", "/api/documents", other, params={"limit": 100})).json()
    assert [d["owned"] for d in listed["documents"] if d["id"] == put["fileId"]] == [False]
    ok(api.call("GET", f"/api/documents/{put['fileId']}/download", other))
    ok(api.call("DELETE", f"/api/documents/{put['fileId']}/shares/{quote(other, safe='')}", user), 204)
    ok(api.call("DELETE", f"/api/documents/{put['fileId']}/shares/{quote(other, safe='')}", user), 404)

    # Multipart: create, sign, PUT, list, complete; another created, then aborted.
    part = os.urandom(3000)
    created = ok(api.call("POST", "/api/uploads/multipart", user, {"purpose": "document", "fileName": "big.bin",
                                                                  "contentType": "application/octet-stream",
                                                                  "fileSize": len(part)})).json()
    signed = ok(api.call("POST", f"/api/uploads/{created['fileId']}/parts", user, {"partNumbers": [1]})).json()["parts"]
    etags = upload_parts(api, user, {p["partNumber"]: p["url"] for p in signed}, part)
    assert ok(api.call("GET", f"/api/uploads/{created['fileId']}/parts", user)).json()["parts"][0]["etag"] == etags[1]
    ok(api.call("POST", f"/api/uploads/{created['fileId']}/complete", user, {"parts": [{"partNumber": 1, "etag": etags[1]}]}))
    aborted = ok(api.call("POST", "/api/uploads/multipart", user, {"purpose": "document", "fileName": "gone.bin",
                                                                  "contentType": "application/octet-stream",
                                                                  "fileSize": 100})).json()
    ok(api.call("DELETE", f"/api/uploads/{aborted['fileId']}", user))

    # Uppy's routes: a simple upload confirmed by key; a multipart upload (batch, one part, list,
    # complete); another aborted.
    uppy = "/api/uppy/s3"
    params = ok(api.call("GET", uppy + "/params", user, params={"filename": "notes.pdf", "type": "application/pdf"})).json()
    ok(requests.post(params["url"], data=list(params["fields"].items()), files={"file": ("notes.pdf", b"%PDF-1.7 notes")},
                     timeout=30), 200, 201, 204)
    ok(api.call("POST", "/api/uploads/confirm", user, {"key": params["fields"]["key"]}))
    made = ok(api.call("POST", uppy + "/multipart", user, {"filename": "movie.bin", "type": "application/octet-stream",
                                                           "metadata": {"name": "movie.bin"}})).json()
    base, key = f"{uppy}/multipart/{quote(made['uploadId'], safe='')}", {"key": made["key"]}
    batch = ok(api.call("GET", base + "/batch", user, params={**key, "partNumbers": "1"})).json()["presignedUrls"]
    ok(api.call("GET", base + "/1", user, params=key))
    etags = upload_parts(api, user, {int(n): url for n, url in batch.items()}, part)
    assert [p["ETag"] for p in ok(api.call("GET", base, user, params=key)).json()] == [etags[1]]
    ok(api.call("POST", base + "/complete", user, {"parts": [{"PartNumber": 1, "ETag": etags[1]}]}, params=key))
    other_upload = ok(api.call("POST", uppy + "/multipart", user, {"filename": "x.bin", "type": "", "metadata": {}})).json()
    ok(api.call("DELETE", f"{uppy}/multipart/{quote(other_upload['uploadId'], safe='')}", user,
                params={"key": other_upload["key"]}))

    # Usage, CDN cookies (an audit row), logout.
    assert ok(api.call("GET", "/api/usage", user)).json()["purposes"]
    ok(api.call("POST", "/api/auth/cdn-cookies", user))
    ok(api.call("POST", "/api/auth/logout", user))

    # Deletes: a ready document, an unfinished upload, a completed multipart one.
    for doc in (posted["fileId"], early["fileId"], created["fileId"]):
        ok(api.call("DELETE", f"/api/documents/{doc}", user), 204)
    ok(api.call("DELETE", f"/api/documents/{posted['fileId']}", user), 404)
    ok(requests.get(api.base + "/readyz", timeout=10))


def exercise_quotas(api, user):
    """What quotas change: the reservation on presign and multipart create, its correction on
    confirm, its release on abort and delete, usage read from upload_usage."""
    posted = upload_ready(api, user)
    created = ok(api.call("POST", "/api/uploads/multipart", user, {"purpose": "document", "fileName": "q.bin",
                                                                  "contentType": "application/octet-stream",
                                                                  "fileSize": 100})).json()
    ok(api.call("DELETE", f"/api/uploads/{created['fileId']}", user))
    assert ok(api.call("GET", "/api/usage", user)).json()["purposes"]
    ok(api.call("DELETE", f"/api/documents/{posted['fileId']}", user), 204)
