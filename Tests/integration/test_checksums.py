"""Checksums bound into single and multipart uploads (issue 20 §1), against both real stores: nginx -> presignd
-> PostgreSQL 15, the bytes PUT straight to ministack (AUTH=true; the aws profile: SHA-256 and
MD5) and to Ceph RGW 16 (the ceph profile: MD5 only).

What is proved: an honest upload with its declared digest becomes ready; the same signed URL and
headers with one byte flipped never does, and which of the two stopped it is asserted apart:
the store's refusal (400 BadDigest, nothing stored, confirm then 409) or confirm's rejection (a
profile that claims RGW checks SHA-256: RGW stores the flipped bytes, and confirm refuses an
object the store kept no SHA-256 of, 422, the object deleted). No issued URL carries a checksum
in its query; a SHA-256 offered to a store that checks only MD5 is refused at presign, naming
the field to send. Multipart uploads created with a checksum algorithm sign each part's digest
(SHA-256 on ministack, where the object keeps the parts' composite; MD5 on RGW): a flipped part is
refused by the store, and the upload cannot complete without it."""
import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from harness.common import API, JWT_SECRET, PURPOSES, status_of
from harness.stack import migrate, stack_env

TEXT = "Quarterly numbers: 12, 40, 7.\n".encode() * 20


def b64(digest):
    return base64.b64encode(digest).decode()


def flipped(data):
    return data[:10] + bytes([data[10] ^ 0x01]) + data[11:]


def s3_error(response):
    found = re.search(rb"<Code>([^<]+)</Code>", response.content)
    return found.group(1).decode() if found else None


@pytest.fixture(scope="module")
def ministack_api(flows_env, module_stack):
    _, nginx = module_stack("checksum-ministack", flows_env, workers=1, threads=4)
    return API(nginx.url)


@pytest.fixture(scope="module")
def rgw_apis(postgres, ceph_rgw, module_stack):
    """presignd on RGW with the ceph profile, and one that wrongly claims RGW checks SHA-256 (aws)."""
    ceph = stack_env(postgres, ceph_rgw, PURPOSES, JWT_SECRET, PRESIGND_STORE_PROFILE="ceph", PGCONNECT_TIMEOUT="2")
    migrate(ceph)
    _, ceph_nginx = module_stack("checksum-rgw", ceph, workers=1, threads=4)
    _, claiming_nginx = module_stack("checksum-rgw-as-aws", dict(ceph, PRESIGND_STORE_PROFILE="aws"), workers=1, threads=4)
    return API(ceph_nginx.url), API(claiming_nginx.url)


def presign(api, user, **checksum):
    body = {"purpose": "document", "fileName": "numbers.txt", "contentType": "text/plain", "fileSize": len(TEXT), **checksum}
    return api.call("POST", "/api/uploads/presign", user, body)


def assert_no_checksum_in_query(url):
    assert not [name for name in parse_qs(urlsplit(url).query) if "checksum" in name.lower() or name.lower() == "content-md5"], url


def upload(api, user, data, **checksum):
    r = presign(api, user, **checksum)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["method"] == "PUT" and p["fields"] == {}
    assert_no_checksum_in_query(p["url"])
    return p, requests.put(p["url"], data=data, headers=p["headers"], timeout=30)


@pytest.mark.parametrize("field,header,digest", [
    ("checksumSHA256", "x-amz-checksum-sha256", hashlib.sha256),
    ("contentMD5", "Content-MD5", hashlib.md5),
], ids=["sha256", "md5"])
def test_ministack_takes_the_honest_bytes_and_refuses_one_flipped_byte(ministack_api, postgres, field, header, digest):
    declared = {field: b64(digest(TEXT).digest())}
    p, sent = upload(ministack_api, "honest", TEXT, **declared)
    assert p["headers"][header] == declared[field]
    assert sent.status_code == 200, sent.text
    c = ministack_api.confirm(p["fileId"], "honest")
    assert c.status_code == 200 and c.json()["status"] == "ready", c.text

    p, sent = upload(ministack_api, "mallory", flipped(TEXT), **declared)
    assert sent.status_code == 400 and s3_error(sent) == "BadDigest", "refused by the store"
    c = ministack_api.confirm(p["fileId"], "mallory")
    assert c.status_code == 409 and c.json()["error"]["code"] == "upload_incomplete"
    assert status_of(postgres, p["fileId"]) == "pending"


def test_rgw_checks_content_md5_and_presign_refuses_a_sha256_it_would_ignore(rgw_apis, ceph_rgw, postgres):
    ceph, _ = rgw_apis
    declared = {"contentMD5": b64(hashlib.md5(TEXT).digest())}
    p, sent = upload(ceph, "honest", TEXT, **declared)
    assert sent.status_code == 200, sent.text
    assert ceph.confirm(p["fileId"], "honest").status_code == 200

    p, sent = upload(ceph, "mallory", flipped(TEXT), **declared)
    assert sent.status_code == 400 and s3_error(sent) == "BadDigest", "refused by the store"
    assert ceph.confirm(p["fileId"], "mallory").status_code == 409

    refused = presign(ceph, "alice", checksumSHA256=b64(hashlib.sha256(TEXT).digest()))
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == 'the ceph store does not check "checksumSHA256"; send "contentMD5" instead'


def test_a_sha256_the_store_never_checked_is_rejected_at_confirm(rgw_apis, ceph_rgw, postgres):
    """The aws profile on RGW: the SHA-256 is signed, RGW ignores it and stores flipped bytes;
    confirm finds no SHA-256 kept by the store and rejects the upload (the object deleted)."""
    _, claiming = rgw_apis
    declared = {"checksumSHA256": b64(hashlib.sha256(TEXT).digest())}
    p, sent = upload(claiming, "mallory", flipped(TEXT), **declared)
    assert sent.status_code == 200, "RGW 16 takes the bytes: it does not check x-amz-checksum-sha256"
    c = claiming.confirm(p["fileId"], "mallory")
    assert c.status_code == 422, c.text
    assert c.json()["error"]["message"].startswith("the store kept no SHA-256 of the object"), "rejected by confirm"
    assert status_of(postgres, p["fileId"]) == "rejected"
    s3 = ceph_rgw.client()
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=ceph_rgw.bucket, Key=p["key"])


MIB = 1 << 20


def multipart(api, user, data, algorithm, purpose="document", flip_part=None):
    """Creates a multipart upload with `algorithm`, signs every part with its digest, PUTs the
    parts (part `flip_part` with one byte flipped after its digest was taken); returns (created
    upload, [(status, S3 error code, etag)] per part)."""
    digest = hashlib.sha256 if algorithm == "SHA256" else hashlib.md5
    created = api.call("POST", "/api/uploads/multipart", user,
                       {"purpose": purpose, "fileName": "big.pdf", "contentType": "application/pdf", "fileSize": len(data),
                        "checksumAlgorithm": algorithm})
    assert created.status_code == 200, created.text
    upload = created.json()
    assert upload["checksumAlgorithm"] == algorithm
    size = upload["partSize"]
    chunks = {n: data[(n - 1) * size:n * size] for n in range(1, upload["partCount"] + 1)}
    signed = api.call("POST", f"/api/uploads/{upload['fileId']}/parts", user,
                      {"partNumbers": list(chunks), "checksums": {str(n): b64(digest(c).digest()) for n, c in chunks.items()}})
    assert signed.status_code == 200, signed.text
    results = []
    for part in signed.json()["parts"]:
        n = part["partNumber"]
        assert_no_checksum_in_query(part["url"])
        body = flipped(chunks[n]) if n == flip_part else chunks[n]
        r = requests.put(part["url"], data=body, headers=part["headers"], timeout=60)
        results.append((r.status_code, s3_error(r), r.headers.get("ETag")))
    return upload, results


def complete(api, user, upload, results):
    parts = [{"partNumber": n, "etag": etag} for n, (status, _, etag) in enumerate(results, 1) if status == 200]
    return api.call("POST", f"/api/uploads/{upload['fileId']}/complete", user, {"parts": parts})


@pytest.fixture(scope="module")
def big_purposes_ministack(flows_env, module_stack):
    import json
    env = dict(flows_env, PRESIGND_PURPOSES=json.dumps({"document": {"prefix": "documents", "maxSize": 64 * MIB}}),
               PRESIGND_MULTIPART_PART_SIZE=str(5 * MIB))
    _, nginx = module_stack("checksum-multipart", env, workers=1, threads=4)
    return API(nginx.url)


def test_ministack_multipart_parts_sign_their_sha256(big_purposes_ministack, ministack, postgres):
    data = b"%PDF-1.7\n" + bytes(range(256)) * (11 * MIB // 256)
    upload, results = multipart(big_purposes_ministack, "honest", data, "SHA256")
    assert [r[0] for r in results] == [200, 200, 200]
    # What completion sends, and confirm's composite is computed from: the parts' digests as the store reports them.
    listed = ministack.client().list_parts(Bucket=ministack.bucket, Key=upload["key"], UploadId=upload["uploadId"])["Parts"]
    assert all(part.get("ChecksumSHA256") for part in listed), listed
    done = complete(big_purposes_ministack, "honest", upload, results)
    assert done.status_code == 200 and done.json()["status"] == "ready", done.text
    kept = ministack.client().head_object(Bucket=ministack.bucket, Key=upload["key"], ChecksumMode="ENABLED")
    assert kept["ChecksumSHA256"].endswith("-3"), "the store kept the parts' composite SHA-256"

    upload, results = multipart(big_purposes_ministack, "mallory", data, "SHA256", flip_part=2)
    assert [r[:2] for r in results] == [(200, None), (400, "BadDigest"), (200, None)], "part 2 refused by the store"
    refused = complete(big_purposes_ministack, "mallory", upload, results)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_parts", refused.text
    assert status_of(postgres, upload["fileId"]) == "uploading"


def test_rgw_multipart_parts_sign_their_md5(rgw_apis, ceph_rgw, postgres, module_stack):
    ceph, _ = rgw_apis
    data = b"%PDF-1.7\n" + bytes(range(256)) * (6 * MIB // 256)
    refused = ceph.call("POST", "/api/uploads/multipart", "alice",
                        {"purpose": "document", "fileName": "x.pdf", "contentType": "application/pdf", "fileSize": 1000,
                         "checksumAlgorithm": "SHA256"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "checksum_not_checked"
    # RGW's documents purpose in PURPOSES is 64 KiB: a 6 MiB file needs its own purpose.
    env = stack_env(postgres, ceph_rgw, {"document": {"prefix": "documents", "maxSize": 64 * MIB}}, JWT_SECRET,
                    PRESIGND_STORE_PROFILE="ceph", PRESIGND_MULTIPART_PART_SIZE=str(5 * MIB), PGCONNECT_TIMEOUT="2")
    _, nginx = module_stack("checksum-rgw-multipart", env, workers=1, threads=4)
    big = API(nginx.url)
    upload, results = multipart(big, "honest", data, "MD5")
    assert [r[0] for r in results] == [200, 200]
    done = complete(big, "honest", upload, results)
    assert done.status_code == 200 and done.json()["status"] == "ready", done.text

    upload, results = multipart(big, "mallory", data, "MD5", flip_part=1)
    assert [r[:2] for r in results] == [(400, "BadDigest"), (200, None)], "part 1 refused by RGW"
    # The refused part left nothing to complete with: the upload cannot become ready.
    assert complete(big, "mallory", upload, results).json()["error"]["code"] == "invalid_parts"
    assert status_of(postgres, upload["fileId"]) == "uploading"
