"""Uploads that survive the page (issue 21), the server's side: a client that comes back to its
multipart upload with only the fileId asks `POST /api/uploads/{id}/resume` what is left, and
presignd answers from its own plan checked against the store's ListParts. Against real peers:
nginx -> presignd -> PostgreSQL 15, parts at ministack (AUTH=true) through a counting proxy.

What is proved: after two of three parts, resume lists those two as sent and the third as
missing; a part replaced at the store by one of the wrong size (written with the store's own key,
as a tampering client or a bug would) is missing again, and once sent again the upload completes
with the right bytes; with the client's per-part SHA-256, a part of other content is missing
again; another user's resume is a 404 and the store receives no request; an upload that the
store lost ends aborted."""
import base64
import hashlib
import os

import pytest
import requests

from harness.common import API, PURPOSES, assert_a_lost_upload_ends_aborted, create_multipart, download, put_parts

MIB = 1 << 20
PURPOSES = dict(PURPOSES, media={"prefix": "media", "maxSize": 64 * MIB})
DATA = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(12 * MIB - 24)  # 5 + 5 + 2 MiB parts


@pytest.fixture(scope="module")
def api(flows_env, proxy, module_stack):
    import json
    env = dict(flows_env, AWS_ENDPOINT_URL_S3=proxy.url, PRESIGND_PURPOSES=json.dumps(PURPOSES),
               PRESIGND_MULTIPART_PART_SIZE=str(5 * MIB))
    _, nginx = module_stack("resume-stack", env, workers=2, threads=8)
    return API(nginx.url)


def resume(api, file_id, user="alice", body=None):
    return api.call("POST", f"/api/uploads/{file_id}/resume", user, body)


def test_resume_lists_what_the_plan_still_needs_and_a_tampered_part_is_sent_again(api, ministack):
    upload = create_multipart(api, len(DATA))
    assert upload["partCount"] == 3
    parts = put_parts(api, upload, DATA, numbers=[1, 2])
    r = resume(api, upload["fileId"])
    assert r.status_code == 200, r.text
    state = r.json()
    assert [p["partNumber"] for p in state["parts"]] == [1, 2] and state["missing"] == [3]
    assert state["bytesSent"] == 10 * MIB and state["bytesMissing"] == 2 * MIB
    assert state["partSize"] == 5 * MIB and state["fileSize"] == len(DATA)

    # Part 2 replaced at the store by one a byte short (the store's own key: no presignd signature allows it).
    ministack.client().upload_part(Bucket=ministack.bucket, Key=upload["key"], UploadId=upload["uploadId"], PartNumber=2,
                                   Body=DATA[5 * MIB:10 * MIB - 1])
    state = resume(api, upload["fileId"]).json()
    assert [p["partNumber"] for p in state["parts"]] == [1] and state["missing"] == [2, 3]

    # The client sends what is missing and completes: the bytes are the file's.
    parts = [p for p in parts if p["partNumber"] == 1] + put_parts(api, upload, DATA, numbers=state["missing"])
    done = api.call("POST", f"/api/uploads/{upload['fileId']}/complete", "alice",
                    {"parts": sorted(parts, key=lambda p: p["partNumber"])})
    assert done.status_code == 200, done.text
    assert download(api, upload["fileId"]).content == DATA


def test_with_digests_a_part_of_other_content_is_sent_again(api):
    r = api.call("POST", "/api/uploads/multipart", "alice", {"purpose": "media", "fileName": "clip.mp4", "contentType": "video/mp4",
                                                              "fileSize": len(DATA), "checksumAlgorithm": "SHA256"})
    assert r.status_code == 200, r.text
    upload = r.json()
    digests = {str(n): base64.b64encode(hashlib.sha256(DATA[(n - 1) * 5 * MIB:n * 5 * MIB]).digest()).decode() for n in (1, 2, 3)}
    signed = api.call("POST", f"/api/uploads/{upload['fileId']}/parts", "alice",
                      {"partNumbers": [1, 2], "checksums": {"1": digests["1"], "2": digests["2"]}}).json()["parts"]
    for part in signed:
        n = part["partNumber"]
        assert requests.put(part["url"], data=DATA[(n - 1) * 5 * MIB:n * 5 * MIB], headers=part.get("headers", {}),
                            timeout=60).status_code == 200
    state = resume(api, upload["fileId"], body={"checksums": digests}).json()
    assert state["checksumAlgorithm"] == "SHA256"
    assert [p["partNumber"] for p in state["parts"]] == [1, 2] and state["missing"] == [3]
    # Another file of the same size under the same name: its part 2 differs, so part 2 is not counted.
    other = dict(digests, **{"2": base64.b64encode(hashlib.sha256(b"another file").digest()).decode()})
    state = resume(api, upload["fileId"], body={"checksums": other}).json()
    assert [p["partNumber"] for p in state["parts"]] == [1] and state["missing"] == [2, 3]


def test_another_users_resume_is_a_404_and_the_store_hears_nothing(api, proxy):
    upload = create_multipart(api, len(DATA))
    before = len(proxy.requests)
    r = resume(api, upload["fileId"], user="mallory")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert resume(api, "00000000-0000-4000-8000-000000000000").status_code == 404
    assert len(proxy.requests) == before, "nothing reached the store"


def test_a_bad_body_names_what_to_fix(api):
    upload = create_multipart(api, len(DATA))
    r = resume(api, upload["fileId"], body={"checksums": ["not", "an", "object"]})
    assert r.status_code == 400 and "\"checksums\" must be an object" in r.json()["error"]["message"]


def test_an_upload_the_store_lost_ends_aborted(api, postgres, ministack):
    assert_a_lost_upload_ends_aborted(api, postgres, ministack, "resume")


def test_uppys_resume_after_a_reload_lists_the_parts_for_the_owner_only(api, proxy):
    """Uppy's own resume (its Golden Retriever plugin keeps {uploadId, key} across a reload and
    asks Companion's list-parts route): the owner gets the parts sent before the reload and
    finishes the upload; another user gets a 404 and the store hears nothing."""
    from urllib.parse import quote
    prefix = "/api/uppy/s3/multipart"
    created = api.call("POST", prefix, body={"filename": "talk.mp4", "type": "video/mp4", "metadata": {"purpose": "media"}})
    assert created.status_code == 200, created.text
    key, upload_id = created.json()["key"], created.json()["uploadId"]
    base = f"{prefix}/{quote(upload_id, safe='')}"
    first = api.call("GET", base + "/1", params={"key": key}).json()["url"]
    r = requests.put(first, data=DATA[:5 * MIB], timeout=60)
    assert r.status_code == 200
    # The page is reloaded; Golden Retriever restores {uploadId, key} and lists the parts.
    listed = api.call("GET", base, params={"key": key})
    assert listed.status_code == 200
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed.json()] == [(1, r.headers["ETag"], 5 * MIB)]
    before = len(proxy.requests)
    stranger = api.call("GET", base, "mallory", params={"key": key})
    assert stranger.status_code == 404
    assert len(proxy.requests) == before, "nothing reached the store"
    second = api.call("GET", base + "/2", params={"key": key}).json()["url"]
    r2 = requests.put(second, data=DATA[5 * MIB:7 * MIB], timeout=60)
    assert r2.status_code == 200
    done = api.call("POST", base + "/complete", params={"key": key},
                    body={"parts": [{"PartNumber": 1, "ETag": r.headers["ETag"]}, {"PartNumber": 2, "ETag": r2.headers["ETag"]}]})
    assert done.status_code == 200, done.text
    assert download(api, done.json()["fileId"]).content == DATA[:7 * MIB]
