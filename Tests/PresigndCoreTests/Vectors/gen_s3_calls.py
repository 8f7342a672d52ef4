"""Generates s3-calls.json: header-signed S3 requests for the calls presignd makes itself,
as botocore signs them under a frozen clock. Run from the repository root with the test venv:

    .venv/bin/python Tests/PresigndCoreTests/Vectors/gen_s3_calls.py > Tests/PresigndCoreTests/Vectors/s3-calls.json
"""
import datetime
import hashlib
import json

import boto3
import botocore
from botocore.config import Config

FROZEN = datetime.datetime(2026, 3, 14, 15, 9, 26, tzinfo=datetime.timezone.utc)
for module in ("botocore.compat", "botocore.auth", "botocore.signers", "botocore.endpoint", "botocore.utils"):
    mod = __import__(module, fromlist=["x"])
    if hasattr(mod, "get_current_datetime"):
        mod.get_current_datetime = lambda *a, **k: FROZEN.replace(tzinfo=None) if not k.get("remove_tzinfo", True) is False else FROZEN
botocore.auth.get_current_datetime = lambda *a, **k: FROZEN.replace(tzinfo=None)


class Captured(Exception):
    pass


def capture(request, **_):
    raise Captured(request)


CALLS = [
    ("head-object", "head_object", {"Key": "docs/a b.txt"}),
    ("delete-object", "delete_object", {"Key": "docs/a b.txt"}),
    ("create-multipart-upload", "create_multipart_upload", {"Key": "big/file.bin", "ContentType": "video/mp4"}),
    ("list-parts", "list_parts", {"Key": "big/file.bin", "UploadId": "abc/123+=", "MaxParts": 1000}),
    ("complete-multipart-upload", "complete_multipart_upload",
     {"Key": "big/file.bin", "UploadId": "abc123", "MultipartUpload": {"Parts": [{"ETag": '"e1"', "PartNumber": 1}]}}),
    ("abort-multipart-upload", "abort_multipart_upload", {"Key": "big/file.bin", "UploadId": "abc123"}),
    ("put-bucket-lifecycle", "put_bucket_lifecycle_configuration", {"LifecycleConfiguration": {"Rules": [
        {"ID": "abort-incomplete", "Status": "Enabled", "Filter": {"Prefix": ""}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]}}),
    ("put-public-access-block", "put_public_access_block", {"PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}),
]

cases = []
for region, endpoint, style in (("eu-west-2", None, "virtual"), ("us-east-1", "http://127.0.0.1:9000", "path")):
    client = boto3.client("s3", region_name=region, endpoint_url=endpoint, aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                          aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                          config=Config(s3={"addressing_style": style}, request_checksum_calculation="when_required"))
    client.meta.events.register("before-send.s3.*", capture)
    for name, method, params in CALLS:
        try:
            getattr(client, method)(Bucket="examplebucket", **params)
        except Captured as captured:
            request = captured.args[0]
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
        signed = headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
        cases.append({
            "id": f"{name}-{style}", "region": region, "endpoint": endpoint, "addressing": style, "operation": method,
            "method": request.method, "url": request.url, "body_sha256": hashlib.sha256(body).hexdigest(),
            "signed_headers": {h: headers[h] for h in signed if h != "host"},
            "authorization": headers["authorization"],
        })
print(json.dumps({"generator": {"botocore": botocore.__version__, "boto3": boto3.__version__, "time": FROZEN.isoformat()},
                  "credentials": {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
                  "cases": cases}, indent=1, ensure_ascii=False))
