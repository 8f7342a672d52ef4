"""botocore on the same inputs as presignd-bench: CPU µs per signature, tab-separated.

Usage: python signing_botocore.py CLOUDFRONT_PEM [scale]

bench/multipart.sh imports it for its botocore column: the client, the presigned URL cases
(URLS) and the method (per_call).
"""
import base64
import datetime
import sys
import time

import boto3
from botocore.config import Config
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

client = boto3.client(
    "s3", region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
    aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", config=Config(s3={"addressing_style": "virtual"}),
)
expires = 1773504566  # the bench's time + 3600

URLS = {
    "presign GET": lambda: client.generate_presigned_url(
        "get_object", Params={"Bucket": "examplebucket", "Key": "photos/2026/cat.jpg"}, ExpiresIn=3600),
    "presign PUT + Content-Type": lambda: client.generate_presigned_url(
        "put_object", Params={"Bucket": "examplebucket", "Key": "uploads/report.pdf", "ContentType": "application/pdf"}, ExpiresIn=3600),
}


def per_call(body, iterations):
    """CPU seconds (this thread's) of one call of body: iterations // 10 calls to warm up, then
    the best of three runs of `iterations` calls."""
    for _ in range(iterations // 10):
        body()
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        for _ in range(iterations):
            body()
        best = min(best, (time.thread_time() - start) / iterations)
    return best


def url_b64(data: bytes) -> str:
    return base64.b64encode(data).replace(b"+", b"-").replace(b"=", b"_").replace(b"/", b"~").decode()


def cookies_signer(pem_path):
    """The three CloudFront cookies' values for a canned wildcard policy, signed with the key in pem_path."""
    key = serialization.load_pem_private_key(open(pem_path, "rb").read(), password=None)
    cloudfront = CloudFrontSigner("K2JCJMDEHXQW5F", lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA1()))

    def cookies():
        policy = cloudfront.build_policy("https://d111111abcdef8.cloudfront.net/private/*", datetime.datetime.fromtimestamp(expires))
        policy = policy.encode()
        return {"CloudFront-Policy": url_b64(policy), "CloudFront-Signature": url_b64(cloudfront.rsa_signer(policy)),
                "CloudFront-Key-Pair-Id": cloudfront.key_id}
    return cookies


def main():
    pem_path = sys.argv[1]
    scale = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    cases = [(name, 3000, body) for name, body in URLS.items()] + [
        ("POST policy", 3000, lambda: client.generate_presigned_post(
            "examplebucket", "uploads/user-42/${filename}",
            Fields={"Content-Type": "image/png", "success_action_status": "201"},
            Conditions=[["starts-with", "$Content-Type", "image/"], ["content-length-range", 1, 10485760], {"success_action_status": "201"}],
            ExpiresIn=3600)),
        ("CloudFront cookies (RSA-2048, SHA-1)", 500, cookies_signer(pem_path)),
    ]
    for name, iterations, body in cases:
        iterations *= scale
        best = per_call(body, iterations)
        print(f"{name}\t{iterations}\t{round(best * 1e9)}\t{round(1 / best)}")


if __name__ == "__main__":
    main()
