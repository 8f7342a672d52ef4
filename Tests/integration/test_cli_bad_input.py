"""The signing commands through the release binary: bad input is a usage error with a message,
never a crash and never a signature."""
import os
import subprocess

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.presignd import binary


def run(*args):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run([binary(), *args], env=env, capture_output=True, text=True, timeout=30)


def test_regression_cloudfront_expiry_that_overflows_is_a_usage_error(tmp_path):
    # Before: now + 9223372036854775807 trapped on overflow (killed by SIGTRAP/SIGILL, no message).
    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "cf.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    base = ["cloudfront", "url", "https://d1.example.net/a.txt", "--key-pair-id", "K2JCJMDEHXQW5F", "--private-key", str(pem)]
    for expires in ("9223372036854775807", "0", "-5"):
        result = run(*base, "--expires", expires)
        assert result.returncode == 2, (expires, result.returncode, result.stderr)
        assert "--expires must be a positive number of seconds" in result.stderr
        assert result.stdout == ""
    assert run(*base, "--expires", "60").stdout.startswith("https://d1.example.net/a.txt?Expires=")


def test_regression_cli_resolves_s3_like_serve(tmp_path):
    """The CLI had its own S3 resolution: with a custom endpoint it defaulted to virtual-hosted
    addressing ("virtual-hosted addressing needs a DNS name") and ignored PRESIGND_S3_ADDRESSING.
    Now serve, check-config and the CLI share one: path style with a custom endpoint."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_ACCESS_KEY_ID": "minioadmin",
           "AWS_SECRET_ACCESS_KEY": "minioadmin", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"}
    url = subprocess.run([binary(), "presign", "get", "s3://bucket/a.txt"], env=env, capture_output=True, text=True, timeout=30)
    assert url.returncode == 0, url.stderr
    assert url.stdout.startswith("http://127.0.0.1:9000/bucket/a.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=minioadmin%2F")
    virtual = subprocess.run([binary(), "presign", "get", "s3://bucket/a.txt"], env=dict(env, PRESIGND_S3_ADDRESSING="virtual"),
                             capture_output=True, text=True, timeout=30)
    assert virtual.returncode == 1 and virtual.stdout == ""
    assert "AWS_ENDPOINT_URL_S3: virtual-hosted addressing needs a DNS name" in virtual.stderr, "PRESIGND_S3_ADDRESSING is read"
