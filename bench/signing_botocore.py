"""botocore on the same inputs as presignd-bench: CPU µs per signature, tab-separated.

Usage: python signing_botocore.py CLOUDFRONT_PEM [scale]
"""
import base64
import sys
import time

import boto3
from botocore.config import Config
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

pem_path = sys.argv[1]
scale = int(sys.argv[2]) if len(sys.argv) > 2 else 1

client = boto3.client(
    "s3", region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
    aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", config=Config(s3={"addressing_style": "virtual"}),
)
key = serialization.load_pem_private_key(open(pem_path, "rb").read(), password=None)
cloudfront = CloudFrontSigner("K2JCJMDEHXQW5F", lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA1()))
expires = 1773504566  # the bench's time + 3600


def url_b64(data: bytes) -> str:
    return base64.b64encode(data).replace(b"+", b"-").replace(b"=", b"_").replace(b"/", b"~").decode()


def cookies():
    policy = cloudfront.build_policy("https://d111111abcdef8.cloudfront.net/private/*", __import__("datetime").datetime.fromtimestamp(expires))
    policy = policy.encode()
    return {"CloudFront-Policy": url_b64(policy), "CloudFront-Signature": url_b64(cloudfront.rsa_signer(policy)),
            "CloudFront-Key-Pair-Id": cloudfront.key_id}


cases = [
    ("presign GET", 3000, lambda: client.generate_presigned_url(
        "get_object", Params={"Bucket": "examplebucket", "Key": "photos/2026/cat.jpg"}, ExpiresIn=3600)),
    ("presign PUT + Content-Type", 3000, lambda: client.generate_presigned_url(
        "put_object", Params={"Bucket": "examplebucket", "Key": "uploads/report.pdf", "ContentType": "application/pdf"}, ExpiresIn=3600)),
    ("POST policy", 3000, lambda: client.generate_presigned_post(
        "examplebucket", "uploads/user-42/${filename}",
        Fields={"Content-Type": "image/png", "success_action_status": "201"},
        Conditions=[["starts-with", "$Content-Type", "image/"], ["content-length-range", 1, 10485760], {"success_action_status": "201"}],
        ExpiresIn=3600)),
    ("CloudFront cookies (RSA-2048, SHA-1)", 500, cookies),
]
for name, iterations, body in cases:
    iterations *= scale
    for _ in range(iterations // 10):
        body()
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        for _ in range(iterations):
            body()
        best = min(best, (time.thread_time() - start) / iterations)
    print(f"{name}\t{iterations}\t{round(best * 1e9)}\t{round(1 / best)}")
