"""The backing services for deploy/run-local.sh: a throwaway PostgreSQL cluster (initdb on a
loopback port, schema applied with `presignd migrate`), ministack as a strict S3 server with
an IAM user's key and a bucket, and a CloudFront key pair. Writes the environment presignd
needs to RUN_DIR/stack.env, prints a development token, and keeps everything running until
SIGTERM/SIGINT, then stops exactly what it started.

    python deploy/local_stack.py RUN_DIR PRESIGND_BINARY
"""
import os
import shlex
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "integration"))

import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from harness import ministack  # noqa: E402
from harness.postgres import PostgresCluster  # noqa: E402

DEV_SECRET = "local-development-secret-change-me-0123456789"


def main():
    run_dir, binary = sys.argv[1], sys.argv[2]
    os.makedirs(run_dir, exist_ok=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))

    pg = PostgresCluster()
    s3 = None
    try:
        s3 = ministack.start()
        key_path = os.path.join(run_dir, "cloudfront-private.pem")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        with open(os.path.join(run_dir, "cloudfront-public.pem"), "wb") as f:
            f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

        env = {
            "DATABASE_URL": pg.url,
            "AWS_REGION": s3.region,
            "AWS_ACCESS_KEY_ID": s3.access_key,
            "AWS_SECRET_ACCESS_KEY": s3.secret_key,
            "AWS_ENDPOINT_URL_S3": s3.endpoint,
            "PRESIGND_S3_ADDRESSING": "path",
            "PRESIGND_BUCKET": s3.bucket,
            "PRESIGND_JWT_HS256_SECRET": DEV_SECRET,
            "PRESIGND_CDN_DOMAIN": "cdn.app.localhost",
            "PRESIGND_CDN_PATH_PATTERN": "/avatars/*",
            "PRESIGND_CDN_COOKIE_DOMAIN": ".app.localhost",
            "PRESIGND_MEDIA_PRESETS": "thumb=64x64:crop,small=256x256",
            "PRESIGND_CLOUDFRONT_KEY_PAIR_ID": "K2JCJMDEHXQW5F",
            "PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE": key_path,
        }
        subprocess.run([binary, "migrate"], env=dict(os.environ, **env), check=True)
        with open(os.path.join(run_dir, "stack.env"), "w") as f:
            for name, value in env.items():
                f.write(f"export {name}={shlex.quote(value)}\n")
            now = int(time.time())
            for user in ("alice", "bob"):
                token = jwt.encode({"sub": user, "iat": now, "exp": now + 12 * 3600}, DEV_SECRET, algorithm="HS256")
                f.write(f"export TOKEN_{user.upper()}={token}\n")
        print(f"stack ready: PostgreSQL {pg.url}, ministack {s3.endpoint} bucket {s3.bucket}", flush=True)
        while not stopping:
            time.sleep(0.2)
    finally:
        if s3:
            s3.stop()
        pg.destroy()


if __name__ == "__main__":
    main()
