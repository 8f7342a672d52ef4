"""Issue 13, defect 10: with PRESIGND_JWT_COOKIE set, a browser sends the token cookie with
requests that another site starts. A cross-site HTML form can POST form-urlencoded, multipart
or text/plain bodies, and a no-preflight fetch can also send no body at all; none of them can
add a custom header. This proves that no state-changing route (every POST and DELETE the
OpenAPI document lists, logout and cdn-cookies included) acts on such a request carrying only
the cookie: nothing is written to PostgreSQL, no cookie is set, no object is touched."""
import uuid

import pytest
import requests

from harness.common import API, upload_ready

COOKIE = "session"


@pytest.fixture(scope="module")
def cookie_api(flows_env, module_stack):
    env = dict(flows_env, PRESIGND_JWT_COOKIE=COOKIE)
    _, proxy = module_stack("csrf-stack", env, workers=1, threads=4)
    return API(proxy.url)


def state(postgres):
    return (postgres.psql("SELECT count(*) FROM audit_log")[0][0],
            postgres.psql("SELECT count(*), coalesce(string_agg(id || ':' || status, ',' ORDER BY id), '') FROM documents")[0],
            postgres.psql("SELECT count(*) FROM document_shares")[0][0])


CROSS_SITE_BODIES = {
    "form-urlencoded": dict(data={"userId": "mallory", "fileId": "x"}),
    "multipart": dict(files={"userId": (None, "mallory")}),
    "text/plain": dict(data=b'{"userId":"mallory"}', headers={"Content-Type": "text/plain"}),
    "no body": dict(),
}


def test_regression_no_state_change_from_a_cookie_only_cross_site_request(cookie_api, postgres):
    base = cookie_api.base
    doc = upload_ready(cookie_api, user="alice")["fileId"]
    assert cookie_api.call("POST", f"/api/documents/{doc}/shares", body={"userId": "bob"}).status_code == 201
    pending = cookie_api.presign(user="alice")["fileId"]
    cookies = {COOKIE: API.token("alice")}
    spec = requests.get(base + "/api/openapi.json", timeout=10).json()
    values = {"id": doc, "fileId": pending, "userId": "bob", "uploadId": "upload-" + uuid.uuid4().hex, "partNumber": "1"}
    routes = []
    for path, operations in spec["paths"].items():
        for method in operations:
            if method.upper() in ("POST", "DELETE", "PUT", "PATCH"):
                routes.append((method.upper(), path.format(**values)))
    assert ("POST", "/api/auth/logout") in routes and ("POST", "/api/auth/cdn-cookies") in routes
    assert ("DELETE", f"/api/documents/{doc}") in routes and len(routes) >= 10

    before = state(postgres)
    for method, path in routes:
        for kind, extra in CROSS_SITE_BODIES.items():
            r = requests.request(method, base + path + "?key=x", cookies=cookies, timeout=30, **extra)
            assert 400 <= r.status_code < 500, f"{method} {path} with {kind}: {r.status_code} {r.text}"
            assert "Set-Cookie" not in r.headers, f"{method} {path} with {kind} set a cookie"
            assert state(postgres) == before, f"{method} {path} with {kind} changed the database"

    # The same cookie with the header a page's own script adds does act: the test can fail.
    marked = {"X-Requested-With": "fetch"}
    assert requests.post(base + "/api/auth/cdn-cookies", cookies=cookies, headers=marked, timeout=30).status_code == 200
    r = requests.delete(base + f"/api/documents/{doc}/shares/bob", cookies=cookies, headers=marked, timeout=30)
    assert r.status_code == 204, r.text
    r = requests.get(base + "/api/documents", cookies=cookies, timeout=30)
    assert r.status_code == 200, "reading with the cookie alone is fine"


def test_regression_a_get_that_creates_an_upload_needs_the_header_too(cookie_api, postgres):
    """Issue 19: Uppy's `GET s3/params` creates a pending upload and reserves quota. A cross-site
    top-level GET carries a SameSite=Lax cookie, so six of them filled a victim's image quota;
    the route changes state, and the CSRF rule applies to it whatever its method."""
    base = cookie_api.base
    cookies = {COOKIE: API.token("alice")}
    query = {"filename": "cat.png", "type": "image/png", "metadata[purpose]": "avatar"}
    before = state(postgres)
    r = requests.get(base + "/api/uppy/s3/params", params=query, cookies=cookies, timeout=30)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "cross_site_request"
    assert state(postgres) == before, "a cookie-only GET created an upload"
    marked = requests.get(base + "/api/uppy/s3/params", params=query, cookies=cookies,
                          headers={"X-Requested-With": "fetch"}, timeout=30)
    assert marked.status_code == 200, marked.text
    assert state(postgres) != before, "the page's own request does create it: the test can fail"
