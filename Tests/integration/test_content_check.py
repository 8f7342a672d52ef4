"""What a file really is, checked at confirm (issue 20 §2), against real peers: nginx -> presignd
-> PostgreSQL 15, uploads to ministack (AUTH=true) through a counting proxy (harness/
counting_proxy.py) that records every request the store receives.

What is proved: honest PNG, JPEG, GIF, WebP, PDF and text files become ready; crafted files (HTML
named .png with the type image/png, SVG declared as PNG, a PDF declared as an image, a PNG
declared as GIF, an executable named .pdf, text declared as a PDF to a purpose that takes any
type, SVG to an image-only purpose) are each refused at confirm with 422 `upload_rejected` and
their reason, the object deleted at the store, the row rejected with that reason and one
upload.reject audit row; a multipart upload of HTML declared as a PDF is refused at complete the
same way; an empty file never gets that far. Every confirm and complete makes exactly one ranged
GET of at most 4 KiB (counted at the store)."""
import os
from urllib.parse import quote

import pytest
import requests

from harness.common import API, PNG, audit_actions, post_form, status_of

MIB = 1 << 20
PURPOSES = {
    "avatar": {"prefix": "avatars", "maxSize": 65536, "allowedType": "image/"},
    "document": {"prefix": "documents", "maxSize": 16 * MIB},
}

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = "Meeting notes\n\n- ship the release\n- überprüfen\n".encode()
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/documents').then(r => r.text()).then(alert)</script></body></html>"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><rect/></svg>'
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(200)

HONEST = [
    ("avatar", "me.png", "image/png", PNG),
    ("avatar", "me.jpg", "image/jpeg", JPEG),
    ("avatar", "me.gif", "image/gif", GIF),
    ("avatar", "me.webp", "image/webp", WEBP),
    ("document", "report.pdf", "application/pdf", PDF),
    ("document", "notes.txt", "text/plain", TEXT),
]

CRAFTED = [
    ("html named .png, declared image/png", "avatar", "cat.png", "image/png", HTML,
     "the file is HTML markup, not a PNG image as declared (image/png)"),
    ("SVG declared as PNG", "avatar", "logo.png", "image/png", SVG,
     "the file is SVG markup, not a PNG image as declared (image/png)"),
    ("a PDF declared as an image", "avatar", "scan.png", "image/png", PDF,
     "the file is a PDF document (application/pdf), not the declared image/png"),
    ("a PNG declared as GIF", "avatar", "me.gif", "image/gif", PNG,
     "the file is a PNG image (image/png), not the declared image/gif"),
    ("an executable named .pdf", "document", "invoice.pdf", "application/pdf", ELF,
     "the file is a program (executable code) (application/x-executable), not the declared application/pdf"),
    ("an executable named .pdf, its type unknown", "document", "invoice.pdf", "", ELF,
     "the file's name ends in .pdf, which is a PDF document, but the file is a program (executable code)"),
    ("text declared as a PDF, to a purpose that takes any type", "document", "a.pdf", "application/pdf", TEXT,
     "the file is text, not a PDF document as declared (application/pdf)"),
    ("SVG to an image-only purpose", "avatar", "logo.svg", "image/svg+xml", SVG,
     "the file is SVG markup, which can run scripts; avatar files must be images without active content"),
]


@pytest.fixture(scope="module")
def api(flows_env, proxy, module_stack):
    import json
    env = dict(flows_env, AWS_ENDPOINT_URL_S3=proxy.url, PRESIGND_PURPOSES=json.dumps(PURPOSES))
    _, nginx = module_stack("content-stack", env, workers=2, threads=16)
    return API(nginx.url)


def presign_and_post(api, user, purpose, name, content_type, data):
    p = api.presign(user, purpose=purpose, name=name, content_type=content_type, size=len(data))
    r = post_form(p, data)
    assert r.status_code in (200, 201, 204), r.text
    return p


def ranged_gets(proxy, key):
    """The Range header of each GetObject of `key` (ListParts, a GET with an uploadId, is not one)."""
    return [r[3] for r in proxy.seen("GET", key) if "uploadId" not in r[2]]


@pytest.mark.parametrize("purpose,name,content_type,data", HONEST, ids=[h[1] for h in HONEST])
def test_honest_files_become_ready_with_one_ranged_get(api, proxy, postgres, purpose, name, content_type, data):
    p = presign_and_post(api, "honest", purpose, name, content_type, data)
    c = api.confirm(p["fileId"], "honest")
    assert c.status_code == 200, c.text
    assert c.json()["status"] == "ready" and c.json()["size"] == len(data)
    assert ranged_gets(proxy, p["key"]) == ["bytes=0-4095"], "exactly one ranged GET of the first 4 KiB"
    assert len(proxy.seen("HEAD", p["key"])) == 1
    # Confirming again answers from the row: no second read of the store.
    assert api.confirm(p["fileId"], "honest").status_code == 200
    assert len(ranged_gets(proxy, p["key"])) == 1
    assert status_of(postgres, p["fileId"]) == "ready"


@pytest.mark.parametrize("case,purpose,name,content_type,data,reason", CRAFTED, ids=[c[0] for c in CRAFTED])
def test_crafted_files_are_refused_with_their_reason_and_deleted(api, proxy, postgres, ministack, case, purpose, name,
                                                               content_type, data, reason):
    p = presign_and_post(api, "mallory", purpose, name, content_type, data)
    c = api.confirm(p["fileId"], "mallory")
    assert c.status_code == 422, c.text
    error = c.json()["error"]
    assert error["code"] == "upload_rejected" and error["message"].startswith(reason), error["message"]
    assert ranged_gets(proxy, p["key"]) == ["bytes=0-4095"]
    with pytest.raises(Exception) as gone:
        ministack.client().head_object(Bucket=ministack.bucket, Key=p["key"])
    assert "404" in str(gone.value), "the object was deleted at the store"
    assert postgres.psql(f"SELECT status, rejection FROM documents WHERE id = '{p['fileId']}'") == [["rejected", reason]]
    assert audit_actions(postgres, p["fileId"]) == ["upload.presign", "upload.reject"]
    # The refusal stays: confirming again repeats it without reading the store.
    again = api.confirm(p["fileId"], "mallory")
    assert again.status_code == 422 and again.json()["error"]["message"] == error["message"]
    assert len(ranged_gets(proxy, p["key"])) == 1


def test_multipart_html_declared_as_pdf_is_refused_at_complete(api, proxy, postgres, ministack):
    data = HTML + b" " * 1000
    created = api.call("POST", "/api/uploads/multipart", "mallory",
                       {"purpose": "document", "fileName": "thesis.pdf", "contentType": "application/pdf",
                        "fileSize": len(data)})
    assert created.status_code == 200, created.text
    upload = created.json()
    signed = api.call("POST", f"/api/uploads/{upload['fileId']}/parts", "mallory", {"partNumbers": [1]})
    assert signed.status_code == 200, signed.text
    put = requests.put(signed.json()["parts"][0]["url"], data=data, timeout=30)
    assert put.status_code == 200, put.text
    done = api.call("POST", f"/api/uploads/{upload['fileId']}/complete", "mallory",
                    {"parts": [{"partNumber": 1, "etag": put.headers["ETag"]}]})
    assert done.status_code == 422, done.text
    assert done.json()["error"]["message"].startswith("the file is HTML markup, not a PDF document as declared (application/pdf)")
    assert ranged_gets(proxy, upload["key"]) == ["bytes=0-4095"]
    assert status_of(postgres, upload["fileId"]) == "rejected"
    assert audit_actions(postgres, upload["fileId"]) == ["upload.create", "upload.reject"]
    listed = ministack.client().list_objects_v2(Bucket=ministack.bucket, Prefix=upload["key"])
    assert listed.get("KeyCount", 0) == 0


def test_a_multipart_upload_of_an_honest_file_becomes_ready(api, proxy):
    data = PDF + os.urandom(6 * MIB)
    created = api.call("POST", "/api/uploads/multipart", "honest",
                       {"purpose": "document", "fileName": "big.pdf", "contentType": "application/pdf", "fileSize": len(data)})
    assert created.status_code == 200, created.text
    upload = created.json()
    numbers = list(range(1, upload["partCount"] + 1))
    signed = api.call("POST", f"/api/uploads/{upload['fileId']}/parts", "honest", {"partNumbers": numbers})
    parts = []
    for part in signed.json()["parts"]:
        n = part["partNumber"]
        chunk = data[(n - 1) * upload["partSize"]:n * upload["partSize"]]
        r = requests.put(part["url"], data=chunk, timeout=60)
        assert r.status_code == 200, r.text
        parts.append({"partNumber": n, "etag": r.headers["ETag"]})
    done = api.call("POST", f"/api/uploads/{upload['fileId']}/complete", "honest", {"parts": parts})
    assert done.status_code == 200, done.text
    assert ranged_gets(proxy, upload["key"]) == ["bytes=0-4095"]


def test_an_empty_file_never_passes(api, postgres):
    refused = api.call("POST", "/api/uploads/presign", "mallory",
                       {"purpose": "avatar", "fileName": "empty.png", "contentType": "image/png", "fileSize": 0})
    assert refused.status_code == 400 and "fileSize" in refused.json()["error"]["message"]
    # A client that declares a size and sends nothing: the store refuses the form (the policy's
    # content-length-range starts at 1), and confirm says the upload never finished.
    p = api.presign("mallory", purpose="avatar", name="empty.png", content_type="image/png", size=10)
    r = post_form(p, b"")
    assert r.status_code >= 400, r.text
    c = api.confirm(p["fileId"], "mallory")
    assert c.status_code == 409 and c.json()["error"]["code"] == "upload_incomplete"


def test_racing_confirms_of_a_disguised_file_reject_it_once(api, postgres, ministack):
    """8 confirms of HTML declared as a PNG released at the same instant against PostgreSQL: every
    answer is the same 422, the row ends rejected once, with one upload.reject audit row."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    p = presign_and_post(api, "racer", "avatar", "cat.png", "image/png", HTML)
    barrier = threading.Barrier(8)

    def confirm(_):
        barrier.wait()
        r = api.confirm(p["fileId"], "racer")
        return r.status_code, r.json()["error"]["code"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(confirm, range(8)))
    assert answers == [(422, "upload_rejected")] * 8, answers
    assert status_of(postgres, p["fileId"]) == "rejected"
    assert audit_actions(postgres, p["fileId"]) == ["upload.presign", "upload.reject"]
    listed = ministack.client().list_objects_v2(Bucket=ministack.bucket, Prefix=p["key"])
    assert listed.get("KeyCount", 0) == 0
