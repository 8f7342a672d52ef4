"""The upload lifecycle against real peers: nginx -> presignd -> PostgreSQL, and ministack
(AUTH=true, IAM-user key) as the strict S3 server that stores the parts and checks every
signature, including the Content-Length each part URL signs.

- multipart uploads of 3 and 5 parts end to end, bytes equal on download; a part of the wrong
  size refused by the store; another user's uploadId refused by presignd; abort; a completion
  with a missing part;
- Uppy's S3 protocol spoken exactly as @uppy/aws-s3 speaks it to Companion
  (companion/src/server/controllers/s3.ts), for a simple and a multipart upload;
- the `r2` store profile: a PUT with the exact Content-Length signed, a longer body refused;
- races sent at the same moment (a barrier releases every thread at once), each with one
  outcome and one audit row: share vs delete, 12 deletes, confirm vs confirm, confirm vs delete,
  abort vs complete; revoking a share that does not exist;
- `presignd sweep`: dry run, expiry of stale pending and multipart uploads, two sweepers at once.
"""
import json
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests

from harness.common import (API, BINARY, PNG, assert_a_lost_upload_ends_aborted, audit_actions, create_multipart, download,
                            honest, post_form, put_parts, status_of)

MIB = 1 << 20
PURPOSES = {
    "avatar": {"prefix": "avatars", "maxSize": 4096, "allowedType": "image/"},
    "document": {"prefix": "documents", "maxSize": 65536},
    "media": {"prefix": "media", "maxSize": 64 * MIB},
}


@pytest.fixture(scope="module")
def lifecycle_env(flows_env):
    env = dict(flows_env)
    env.update(PRESIGND_PURPOSES=json.dumps(PURPOSES), PRESIGND_MULTIPART_PART_SIZE=str(5 * MIB), PRESIGND_UPPY_PURPOSE="document")
    return env


@pytest.fixture(scope="module")
def api(lifecycle_env, module_stack):
    _, proxy = module_stack("lifecycle-stack", lifecycle_env, workers=2, threads=8)
    return API(proxy.url)


@pytest.fixture(scope="module")
def r2_api(lifecycle_env, module_stack):
    env = dict(lifecycle_env, PRESIGND_STORE_PROFILE="r2")
    _, proxy = module_stack("r2-stack", env, workers=2, threads=8)
    return API(proxy.url)


def at_once(*calls):
    """Runs the calls on their own threads, released together by a barrier; returns their results."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def ready_document(api, user="alice", data=PNG):
    p = api.presign(user, purpose="avatar", name="me.png", content_type="image/png", size=len(data))
    assert post_form(p, data).status_code in (200, 201, 204)
    assert api.confirm(p["fileId"], user).status_code == 200
    return p["fileId"]


def test_multipart_three_parts_end_to_end_through_nginx(api, postgres):
    data = honest("mp4", 12 * MIB)
    upload = create_multipart(api, len(data))
    assert (upload["partSize"], upload["partCount"]) == (5 * MIB, 3)
    assert status_of(postgres, upload["fileId"]) == "uploading"
    parts = put_parts(api, upload, data)
    listed = api.call("GET", f"/api/uploads/{upload['fileId']}/parts").json()["parts"]
    assert [(p["partNumber"], p["size"]) for p in listed] == [(1, 5 * MIB), (2, 5 * MIB), (3, 2 * MIB)]
    done = api.call("POST", f"/api/uploads/{upload['fileId']}/complete", body={"parts": parts})
    assert done.status_code == 200, done.text
    assert done.json() == {"fileId": upload["fileId"], "status": "ready", "size": len(data), "contentType": "video/mp4"}
    got = download(api, upload["fileId"])
    assert got.status_code == 200 and got.content == data
    assert audit_actions(postgres, upload["fileId"]) == ["upload.create", "upload.complete", "document.download"]


def test_multipart_25_mib_five_parts(api):
    data = honest("mp4", 25 * MIB)
    upload = create_multipart(api, len(data), name="data set.bin", content_type="application/octet-stream")
    assert upload["partCount"] == 5
    parts = put_parts(api, upload, data)
    assert api.call("POST", f"/api/uploads/{upload['fileId']}/complete", body={"parts": parts}).status_code == 200
    assert download(api, upload["fileId"]).content == data


def test_part_of_the_wrong_size_is_refused_by_the_store(api, postgres):
    data = honest("mp4", 6 * MIB)
    upload = create_multipart(api, len(data))
    signed = api.call("POST", f"/api/uploads/{upload['fileId']}/parts", body={"partNumbers": [2]}).json()["parts"][0]
    assert signed["size"] == 1 * MIB
    longer = requests.put(signed["url"], data=data[5 * MIB:] + b"!", timeout=60)
    assert longer.status_code == 403, "the signed Content-Length makes the store refuse another size"
    shorter = requests.put(signed["url"], data=data[5 * MIB:-1], timeout=60)
    assert shorter.status_code == 403
    listed = api.call("GET", f"/api/uploads/{upload['fileId']}/parts").json()["parts"]
    assert listed == []
    assert status_of(postgres, upload["fileId"]) == "uploading"


def test_another_users_upload_id_is_refused_by_presignd(api, postgres):
    upload = create_multipart(api, 6 * MIB)
    fid, key, uid = upload["fileId"], upload["key"], upload["uploadId"]
    assert api.call("POST", f"/api/uploads/{fid}/parts", "mallory", {"partNumbers": [1]}).status_code == 404
    assert api.call("POST", f"/api/uploads/{fid}/complete", "mallory", {"parts": [{"partNumber": 1, "etag": "x"}]}).status_code == 404
    assert api.call("DELETE", f"/api/uploads/{fid}", "mallory").status_code == 404
    uppy = f"/api/uppy/s3/multipart/{quote(uid, safe='')}"
    for method, path, params in [("GET", uppy, {"key": key}), ("GET", uppy + "/1", {"key": key}),
                                 ("GET", uppy + "/batch", {"key": key, "partNumbers": "1,2"}), ("DELETE", uppy, {"key": key})]:
        r = api.call(method, path, "mallory", params=params)
        assert r.status_code == 404 and r.json()["message"], (method, path, r.text)
    wrong_key = api.call("GET", uppy, params={"key": key.replace(fid, "00000000-0000-4000-8000-000000000000")})
    assert wrong_key.status_code == 404, "a key that does not belong to the uploadId"
    assert status_of(postgres, fid) == "uploading"
    assert audit_actions(postgres, fid) == ["upload.create"]


def test_abort_removes_the_upload_from_the_store(api, postgres, ministack):
    data = honest("mp4", 6 * MIB)
    upload = create_multipart(api, len(data))
    put_parts(api, upload, data, numbers=[1])
    r = api.call("DELETE", f"/api/uploads/{upload['fileId']}")
    assert r.status_code == 200 and r.json() == {"fileId": upload["fileId"], "status": "aborted"}
    s3 = ministack.client()
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.list_parts(Bucket=ministack.bucket, Key=upload["key"], UploadId=upload["uploadId"])
    again = api.call("POST", f"/api/uploads/{upload['fileId']}/parts", body={"partNumbers": [2]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "upload_aborted"
    assert status_of(postgres, upload["fileId"]) == "aborted"
    assert audit_actions(postgres, upload["fileId"]) == ["upload.create", "upload.abort"]


@pytest.mark.parametrize("route", ["list", "complete", "uppy-list"])
def test_an_upload_the_store_aborted_ends_as_aborted(api, postgres, ministack, route):
    """Issue 20 §3: a multipart upload the store no longer has (its lifecycle rule aborted it, or
    another client) answered 404 (or 503 for ever on a store that says it otherwise) and the row
    stayed `uploading`. A 404 on a call naming the upload id means it is gone: 409
    upload_aborted, the row moves to aborted with one audit row, and every later call says so."""
    assert_a_lost_upload_ends_aborted(api, postgres, ministack, route)


def test_requests_racing_on_an_upload_the_store_lost_end_it_once(api, postgres, ministack):
    """The store aborted the upload behind presignd's back; parts lists, completions, Uppy's
    list-parts and the owner's own abort arrive at the same moment against PostgreSQL: the row
    ends aborted once, with one audit row, and every answer says aborted."""
    data = honest("mp4", 6 * MIB)
    upload = create_multipart(api, len(data))
    parts = put_parts(api, upload, data, numbers=[1])
    ministack.client().abort_multipart_upload(Bucket=ministack.bucket, Key=upload["key"], UploadId=upload["uploadId"])
    uppy = f"/api/uppy/s3/multipart/{quote(upload['uploadId'], safe='')}"
    calls = [lambda: api.call("GET", f"/api/uploads/{upload['fileId']}/parts"),
             lambda: api.call("POST", f"/api/uploads/{upload['fileId']}/complete", body={"parts": parts}),
             lambda: api.call("GET", uppy, params={"key": upload["key"]}),
             lambda: api.call("DELETE", f"/api/uploads/{upload['fileId']}")] * 3
    answers = at_once(*calls)
    for r in answers:
        if r.request.method == "DELETE":
            assert r.status_code == 200 and r.json()["status"] == "aborted", r.text
        else:
            assert r.status_code == 409 and r.json()["error"]["code"] == "upload_aborted", r.text
    assert status_of(postgres, upload["fileId"]) == "aborted"
    assert audit_actions(postgres, upload["fileId"]) == ["upload.create", "upload.abort"]


def test_complete_with_a_missing_part_says_which(api, postgres):
    data = honest("mp4", 11 * MIB)
    upload = create_multipart(api, len(data))
    parts = put_parts(api, upload, data, numbers=[1, 3])
    everything = [parts[0], {"partNumber": 2, "etag": "\"0\""}, parts[1]]
    r = api.call("POST", f"/api/uploads/{upload['fileId']}/complete", body={"parts": everything})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_part"
    assert "part 2 has not been uploaded" in r.json()["error"]["message"]
    assert status_of(postgres, upload["fileId"]) == "uploading"
    parts = put_parts(api, upload, data)
    assert api.call("POST", f"/api/uploads/{upload['fileId']}/complete", body={"parts": parts}).status_code == 200
    assert download(api, upload["fileId"]).content == data


def test_uppy_protocol_simple_and_multipart(api, postgres, ministack):
    """A client written from Companion's controllers/s3.ts and @uppy/aws-s3."""
    prefix = "/api/uppy/s3"
    # Simple upload: GET s3/params, POST the form (fields, then the file), then the page confirms the key.
    params = api.call("GET", prefix + "/params", params={"filename": "notes.pdf", "type": "application/pdf",
                                                         "metadata[name]": "notes.pdf"})
    assert params.status_code == 200, params.text
    body = params.json()
    assert body["method"] == "POST" and isinstance(body["fields"], dict) and body["expires"] == 300
    form = requests.post(body["url"], data=list(body["fields"].items()), files={"file": ("notes.pdf", b"%PDF-1.7 notes")}, timeout=30)
    assert form.status_code in (200, 201, 204), form.text
    confirmed = api.call("POST", "/api/uploads/confirm", body={"key": body["fields"]["key"]})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "ready"

    # Multipart: create, sign a batch, PUT the parts, list them (a JSON array), complete.
    data = honest("mp4", 7 * MIB)
    created = api.call("POST", prefix + "/multipart", body={"filename": "movie.bin", "type": "application/octet-stream",
                                                            "metadata": {"name": "movie.bin", "purpose": "media"}})
    assert created.status_code == 200, created.text
    key, upload_id = created.json()["key"], created.json()["uploadId"]
    assert created.json()["bucket"]
    base = f"{prefix}/multipart/{quote(upload_id, safe='')}"
    batch = api.call("GET", base + "/batch", params={"key": key, "partNumbers": "1,2"})
    assert batch.status_code == 200, batch.text
    urls = batch.json()["presignedUrls"]
    assert sorted(urls) == ["1", "2"]
    etags = []
    for n, chunk in ((1, data[:5 * MIB]), (2, data[5 * MIB:])):
        r = requests.put(urls[str(n)], data=chunk, timeout=60)
        assert r.status_code == 200, r.text
        etags.append(r.headers["ETag"])
    single = api.call("GET", base + "/2", params={"key": key})
    assert single.status_code == 200 and set(single.json()) == {"url", "expires"}
    listed = api.call("GET", base, params={"key": key})
    assert listed.status_code == 200
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed.json()] == [(1, etags[0], 5 * MIB), (2, etags[1], 2 * MIB)]
    done = api.call("POST", base + "/complete", params={"key": key},
                    body={"parts": [{"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 2, "ETag": etags[1]}]})
    assert done.status_code == 200, done.text
    assert done.json()["key"] == key and done.json()["bucket"]
    # As S3 and Companion answer it: the object's URL (issue 20 §3: it was the key).
    assert done.json()["location"] == f"{ministack.endpoint}/{ministack.bucket}/{quote(key, safe='/')}", done.json()
    file_id = done.json()["fileId"]
    assert download(api, file_id).content == data
    assert audit_actions(postgres, file_id) == ["upload.create", "upload.complete", "document.download"]

    # Abort answers {} (an empty 204 breaks Uppy); an error carries Uppy's top-level message.
    other = api.call("POST", prefix + "/multipart", body={"filename": "x.bin", "type": "", "metadata": {}}).json()
    aborted = api.call("DELETE", f"{prefix}/multipart/{quote(other['uploadId'], safe='')}", params={"key": other["key"]})
    assert aborted.status_code == 200 and aborted.json() == {}
    small = api.call("POST", prefix + "/multipart", body={"filename": "a.png", "type": "text/html",
                                                          "metadata": {"purpose": "avatar"}})
    assert small.status_code == 400 and small.json()["message"] == small.json()["error"]["message"]


def test_r2_profile_signs_put_with_exact_length(r2_api, postgres):
    data = b"%PDF-1.4 exact length"
    p = r2_api.presign(purpose="document", name="r2.pdf", content_type="application/pdf", size=len(data))
    assert p["method"] == "PUT" and p["fields"] == {}, "a store without POST policies gets a PUT"
    assert p["headers"] == {"Content-Type": "application/pdf", "Content-Length": str(len(data))}
    longer = requests.put(p["url"], data=data + b"!", headers={"Content-Type": "application/pdf"}, timeout=30)
    assert longer.status_code == 403, "the store refuses a body longer than the signed length"
    assert requests.put(p["url"], data=data, headers={"Content-Type": "application/pdf"}, timeout=30).status_code == 200
    assert r2_api.confirm(p["fileId"]).status_code == 200


# --- races: each pair of requests leaves the port at the same moment --------------------------

def count_audit(postgres, file_id, action):
    return audit_actions(postgres, file_id).count(action)


def test_race_share_and_delete_is_201_or_404_never_500(api, postgres):
    for _ in range(10):
        fid = ready_document(api)
        share, delete = at_once(lambda: api.call("POST", f"/api/documents/{fid}/shares", body={"userId": "bob"}),
                                lambda: api.call("DELETE", f"/api/documents/{fid}"))
        assert delete.status_code == 204, delete.text
        assert share.status_code in (201, 404), share.text
        assert count_audit(postgres, fid, "document.delete") == 1
        assert count_audit(postgres, fid, "document.share") == (1 if share.status_code == 201 else 0)
        assert postgres.psql(f"SELECT count(*) FROM documents WHERE id = '{fid}'") == [["0"]]
        assert postgres.psql(f"SELECT count(*) FROM document_shares WHERE document_id = '{fid}'") == [["0"]]


def test_race_twelve_deletes_one_wins(api, postgres, ministack):
    fid = ready_document(api)
    key = postgres.psql(f"SELECT object_key FROM documents WHERE id = '{fid}'")[0][0]
    results = at_once(*[lambda: api.call("DELETE", f"/api/documents/{fid}")] * 12)
    assert sorted(r.status_code for r in results) == [204] + [404] * 11
    assert count_audit(postgres, fid, "document.delete") == 1
    s3 = ministack.client()
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=ministack.bucket, Key=key)


def test_revoking_a_share_that_does_not_exist_is_404_without_audit(api, postgres):
    fid = ready_document(api)
    r = api.call("DELETE", f"/api/documents/{fid}/shares/bob")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert count_audit(postgres, fid, "document.unshare") == 0


def test_race_confirm_and_confirm_one_audit_row(api, postgres):
    p = api.presign(purpose="avatar", name="me.png", content_type="image/png", size=len(PNG))
    assert post_form(p, PNG).status_code in (200, 201, 204)
    results = at_once(*[lambda: api.confirm(p["fileId"])] * 8)
    assert {r.status_code for r in results} == {200}
    assert len({r.text for r in results}) == 1, "every confirm answers the same document"
    assert count_audit(postgres, p["fileId"], "upload.confirm") == 1


def test_race_confirm_and_delete(api, postgres, ministack):
    for _ in range(5):
        p = api.presign(purpose="avatar", name="me.png", content_type="image/png", size=len(PNG))
        assert post_form(p, PNG).status_code in (200, 201, 204)
        confirm, delete = at_once(lambda: api.confirm(p["fileId"]), lambda: api.call("DELETE", f"/api/documents/{p['fileId']}"))
        assert delete.status_code == 204, delete.text
        assert confirm.status_code in (200, 404), confirm.text
        assert count_audit(postgres, p["fileId"], "document.delete") == 1
        assert count_audit(postgres, p["fileId"], "upload.confirm") == (1 if confirm.status_code == 200 else 0)
        assert postgres.psql(f"SELECT count(*) FROM documents WHERE id = '{p['fileId']}'") == [["0"]]
        s3 = ministack.client()
        with pytest.raises(s3.exceptions.ClientError):
            s3.head_object(Bucket=ministack.bucket, Key=p["key"])


def test_race_abort_and_complete_one_outcome(api, postgres, ministack):
    outcomes = set()
    for _ in range(4):
        data = honest("mp4", 6 * MIB)
        upload = create_multipart(api, len(data))
        parts = put_parts(api, upload, data)
        fid = upload["fileId"]
        complete, abort = at_once(lambda: api.call("POST", f"/api/uploads/{fid}/complete", body={"parts": parts}),
                                  lambda: api.call("DELETE", f"/api/uploads/{fid}"))
        assert sorted([complete.status_code, abort.status_code]) in ([200, 409], [200, 404]), (complete.text, abort.text)
        actions = audit_actions(postgres, fid)
        s3 = ministack.client()
        if complete.status_code == 200:
            outcomes.add("complete")
            assert status_of(postgres, fid) == "ready" and actions == ["upload.create", "upload.complete"]
            assert s3.head_object(Bucket=ministack.bucket, Key=upload["key"])["ContentLength"] == len(data)
        else:
            outcomes.add("abort")
            assert status_of(postgres, fid) == "aborted" and actions == ["upload.create", "upload.abort"]
            with pytest.raises(s3.exceptions.ClientError):
                s3.head_object(Bucket=ministack.bucket, Key=upload["key"])
    assert outcomes, "each race had exactly one winner"


# --- the sweeper (last: it expires every stale row of this module's database) -----------------

def sweep(env, *args):
    return subprocess.run([BINARY, "sweep", *args], env=env, capture_output=True, text=True, timeout=60)


def test_sweeper_expires_stale_uploads(api, lifecycle_env, postgres, ministack):
    pending = api.presign(purpose="avatar", name="left.png", content_type="image/png", size=len(PNG))
    assert post_form(pending, PNG).status_code in (200, 201, 204)  # uploaded, never confirmed
    data = honest("mp4", 6 * MIB)
    multipart = create_multipart(api, len(data))
    put_parts(api, multipart, data, numbers=[1])
    time.sleep(3.1)  # creation times are whole seconds

    # Another deployment with its own bucket sharing this database sweeps only its own uploads.
    other = sweep(dict(lifecycle_env, PRESIGND_BUCKET="another-deployments-bucket"), "--older-than", "2")
    assert other.returncode == 0 and "0 row(s)" in other.stdout, other.stdout + other.stderr
    assert status_of(postgres, pending["fileId"]) == "pending"

    dry = sweep(lifecycle_env, "--dry-run", "--older-than", "2")
    assert dry.returncode == 0, dry.stderr
    assert f"{pending['fileId']} pending: would delete object" in dry.stdout
    assert f"{multipart['fileId']} uploading: would abort multipart upload" in dry.stdout
    assert status_of(postgres, pending["fileId"]) == "pending"

    first, second = at_once(lambda: sweep(lifecycle_env, "--older-than", "2"), lambda: sweep(lifecycle_env, "--older-than", "2"))
    assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
    for fid in (pending["fileId"], multipart["fileId"]):
        assert status_of(postgres, fid) == "expired"
        assert count_audit(postgres, fid, "upload.expire") == 1, "two sweepers at once expire a row once"
    s3 = ministack.client()
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=ministack.bucket, Key=pending["key"])
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.list_parts(Bucket=ministack.bucket, Key=multipart["key"], UploadId=multipart["uploadId"])
    late = api.confirm(pending["fileId"])
    assert late.status_code == 409 and late.json()["error"]["code"] == "upload_expired"
    assert "0 row(s)" in sweep(lifecycle_env, "--older-than", "2").stdout
