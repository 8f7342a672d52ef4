"""Checksums bound into single uploads (issue 20 §1), against both real stores: nginx -> presignd
-> PostgreSQL 15, the bytes PUT straight to ministack (AUTH=true; the aws profile: SHA-256 and
MD5) and to Ceph RGW 16 (the ceph profile: MD5 only).

What is proved: an honest upload with its declared digest becomes ready; the same signed URL and
headers with one byte flipped never does, and which of the two stopped it is asserted apart:
the store's refusal (400 BadDigest, nothing stored, confirm then 409) or confirm's rejection (a
profile that claims RGW checks SHA-256: RGW stores the flipped bytes, and confirm refuses an
object the store kept no SHA-256 of, 422, the object deleted). No issued URL carries a checksum
in its query; a SHA-256 offered to a store that checks only MD5 is refused at presign, naming
the field to send."""
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
