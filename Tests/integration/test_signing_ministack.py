"""presignd's signatures against a strict S3 server (ministack, AUTH=true, IAM-user key).

Each test runs the release binary's CLI (`$PRESIGND_BINARY presign …`) and checks what the server
accepts and refuses: a signature that S3 rejects, or a policy that lets the wrong file through,
is the worst bug presignd can have.
"""
import json
import os
import subprocess
import time
import uuid

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def binary() -> str:
    path = os.environ.get("PRESIGND_BINARY") or os.path.join(ROOT, ".build", "release", "presignd")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no presignd binary at {path}: build it (swift build -c release) or set PRESIGND_BINARY")
    return path


def presign(stack, *args, expect_ok=True):
    """Runs `presignd presign …` as the IAM user against ministack; returns stdout."""
    result = subprocess.run(
        [binary(), "presign", *args, "--endpoint", stack.endpoint, "--path-style", "--region", stack.region],
        env=stack.env(), capture_output=True, text=True, timeout=30,
    )
    if expect_ok:
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()
    return result


def object_uri(stack, key):
    return f"s3://{stack.bucket}/{key}"


def new_key(prefix="obj"):
    return f"{prefix}/{uuid.uuid4().hex[:8]} file (1)+ü.txt"


def tamper_param(url, name, value):
    head, query = url.split("?", 1)
    parts = [p if not p.startswith(name + "=") else f"{name}={value}" for p in query.split("&")]
    return head + "?" + "&".join(parts)


def test_presigned_put_then_get_round_trip(ministack):
    key = new_key()
    put_url = presign(ministack, "put", object_uri(ministack, key), "--content-type", "text/plain", "--expires", "300")
    body = b"hello from presignd\n"
    response = requests.put(put_url, data=body, headers={"Content-Type": "text/plain"}, timeout=10)
    assert response.status_code == 200, response.text
    get_url = presign(ministack, "get", object_uri(ministack, key), "--expires", "300")
    response = requests.get(get_url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.content == body
    head_url = presign(ministack, "head", object_uri(ministack, key))
    assert requests.head(head_url, timeout=10).status_code == 200


def test_get_with_response_overrides(ministack):
    key = new_key("dl")
    ministack.client().put_object(Bucket=ministack.bucket, Key=key, Body=b"%PDF-1.4")
    url = presign(ministack, "get", object_uri(ministack, key), "--disposition", 'attachment; filename="report.pdf"',
                  "--response-content-type", "application/pdf")
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="report.pdf"'


def test_tampered_urls_are_refused(ministack):
    key = new_key()
    ministack.client().put_object(Bucket=ministack.bucket, Key=key, Body=b"secret")
    other = new_key()
    ministack.client().put_object(Bucket=ministack.bucket, Key=other, Body=b"other secret")
    url = presign(ministack, "get", object_uri(ministack, key), "--expires", "300")
    assert requests.get(url, timeout=10).status_code == 200

    signature = url.rsplit("X-Amz-Signature=", 1)[1]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert requests.get(tamper_param(url, "X-Amz-Signature", flipped), timeout=10).status_code == 403
    assert requests.get(tamper_param(url, "X-Amz-Expires", "604800"), timeout=10).status_code == 403
    encoded_key = url.split("?", 1)[0].rsplit("/", 2)[-1]
    encoded_other = presign(ministack, "get", object_uri(ministack, other)).split("?", 1)[0].rsplit("/", 2)[-1]
    assert requests.get(url.replace(encoded_key, encoded_other, 1), timeout=10).status_code == 403
    assert requests.delete(url, timeout=10).status_code == 403, "a GET signature must not allow DELETE"


def test_put_with_another_content_type_is_refused(ministack):
    key = new_key()
    url = presign(ministack, "put", object_uri(ministack, key), "--content-type", "image/png")
    response = requests.put(url, data=b"<script>", headers={"Content-Type": "text/html"}, timeout=10)
    assert response.status_code == 403, response.text
    response = requests.put(url, data=b"\x89PNG", headers={"Content-Type": "image/png"}, timeout=10)
    assert response.status_code == 200, response.text


def test_expired_url_is_refused(ministack):
    key = new_key()
    ministack.client().put_object(Bucket=ministack.bucket, Key=key, Body=b"old")
    past = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 3600))
    url = presign(ministack, "get", object_uri(ministack, key), "--expires", "60", "--at", past)
    response = requests.get(url, timeout=10)
    assert response.status_code == 403, response.text
    # The same object signed now is served, so the refusal was the expiry.
    assert requests.get(presign(ministack, "get", object_uri(ministack, key), "--expires", "60"), timeout=10).status_code == 200


def test_presigned_delete(ministack):
    key = new_key()
    ministack.client().put_object(Bucket=ministack.bucket, Key=key, Body=b"bye")
    assert requests.delete(presign(ministack, "delete", object_uri(ministack, key)), timeout=10).status_code == 204
    with pytest.raises(Exception):
        ministack.client().head_object(Bucket=ministack.bucket, Key=key)


def post_form(stack, key, *extra):
    return json.loads(presign(stack, "post", object_uri(stack, key), "--content-type", "text/plain",
                              "--min-size", "1", "--max-size", "100", "--success-status", "201", *extra))


def submit(form, filename, content, content_type="text/plain", overrides=None):
    fields = dict(form["fields"])
    fields.update(overrides or {})
    fields["Content-Type"] = content_type
    return requests.post(form["url"], data=fields, files={"file": (filename, content, content_type)}, timeout=10)


def test_post_policy_is_enforced_by_the_server(ministack):
    key = new_key("post")
    form = post_form(ministack, key)
    assert submit(form, "big.txt", b"x" * 101).status_code == 400, "a file above the range must be refused"
    assert submit(form, "page.html", b"<html>", content_type="text/html").status_code == 403, "wrong type must be refused"
    assert submit(form, "a.txt", b"hi", overrides={"key": key + ".other"}).status_code == 403, "another key must be refused"
    assert submit(form, "empty.txt", b"").status_code == 400, "a file below the range must be refused"
    with pytest.raises(Exception):
        ministack.client().head_object(Bucket=ministack.bucket, Key=key)

    response = submit(form, "a.txt", b"just right")
    assert response.status_code == 201, response.text
    stored = ministack.client().get_object(Bucket=ministack.bucket, Key=key)
    assert stored["Body"].read() == b"just right"
    assert stored["ContentType"] == "text/plain"


def test_post_with_filename_placeholder_stores_under_prefix(ministack):
    prefix = f"uploads/{uuid.uuid4().hex[:8]}/"
    form = json.loads(presign(ministack, "post", object_uri(ministack, prefix + "${filename}"), "--max-size", "1000"))
    response = requests.post(form["url"], data=form["fields"], files={"file": ("notes.txt", b"notes", "text/plain")}, timeout=10)
    assert response.status_code == 204, response.text
    assert ministack.client().get_object(Bucket=ministack.bucket, Key=prefix + "notes.txt")["Body"].read() == b"notes"
    outside = dict(form["fields"], key="elsewhere/notes.txt")
    assert requests.post(form["url"], data=outside, files={"file": ("n.txt", b"x", "text/plain")}, timeout=10).status_code == 403


def test_expired_post_form_is_refused(ministack):
    key = new_key("post")
    past = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 3600))
    form = post_form(ministack, key, "--expires", "60", "--at", past)
    assert submit(form, "a.txt", b"late").status_code == 403


def test_bad_input_is_an_error_not_a_signature(ministack):
    for args in (["get", "s3://Bad_Bucket/k"], ["get", f"s3://{ministack.bucket}/"], ["get", object_uri(ministack, "k"), "--expires", "604801"],
                 ["get", object_uri(ministack, "k" * 1025)], ["put", object_uri(ministack, "k"), "--content-type", "tëxt/plain"]):
        result = presign(ministack, *args, expect_ok=False)
        assert result.returncode != 0, args
        assert result.stdout == "", f"{args}: nothing may be signed"
        assert "error" in result.stderr, args
