"""Flows benchmark (not a test): requests/s and p99 through nginx -> presignd for presign (with
its INSERT), download (lookup + audit row) and cdn-cookies, next to pgbench's rate for one
durable INSERT at the same concurrency on the same throwaway cluster (the database bound).

Starts its own PostgreSQL (initdb), ministack (AUTH=true), presignd and nginx on loopback,
like the integration tests, and prints a markdown table.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "integration"))

import jwt  # noqa: E402
import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from harness import ministack as ministack_harness  # noqa: E402
from harness.nginx import Nginx  # noqa: E402
from harness.postgres import PG_BIN, PostgresCluster  # noqa: E402
from harness.presignd import Presignd  # noqa: E402

SECONDS = int(os.environ.get("FLOWS_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("FLOWS_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("FLOWS_WORKERS", "2"))
THREADS = int(os.environ.get("FLOWS_THREADS", "8"))
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"


def token(user):
    return jwt.encode({"sub": user, "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")


def wrk(url, script, env):
    out = subprocess.run(["wrk", f"-t{min(2, CONNECTIONS)}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-s", os.path.join(HERE, "flows", script), url],
                         env=dict(os.environ, **env), capture_output=True, text=True, check=True).stdout
    fields = dict(item.split("=") for item in re.search(r"FLOWS (.*)", out).group(1).split())
    return {"rps": int(fields["requests"]) / float(fields["seconds"]), "p50": float(fields["p50_ms"]),
            "p99": float(fields["p99_ms"]), "bad": int(fields["non2xx"]) + int(fields["socket_errors"])}


def pgbench(url):
    script = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
    script.write("INSERT INTO audit_log (at, actor, action, resource, client_address) "
                 "VALUES (now(), 'bench', 'bench.insert', 'bench', '127.0.0.1');\n")
    script.close()
    out = subprocess.run([os.path.join(PG_BIN, "pgbench"), "-n", "-M", "prepared", f"-c{CONNECTIONS}", "-j2", f"-T{SECONDS}",
                          "-r", "-P", str(SECONDS * 2), "-f", script.name, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
    latency = float(re.search(r"latency average = ([0-9.]+) ms", out).group(1))
    return tps, latency


def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-flows-")
    pg = PostgresCluster()
    s3 = ministack_harness.start()
    server = proxy = None
    try:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_path = os.path.join(work, "cloudfront.pem")
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        env = s3.env()
        env.update(pg.env, AWS_ENDPOINT_URL_S3=s3.endpoint, PRESIGND_S3_ADDRESSING="path", PRESIGND_BUCKET=s3.bucket,
                   PRESIGND_JWT_HS256_SECRET=SECRET, PRESIGND_CDN_DOMAIN="cdn.bench.test", PRESIGND_CDN_COOKIE_DOMAIN=".bench.test",
                   PRESIGND_CLOUDFRONT_KEY_PAIR_ID="K2JCJMDEHXQW5F", PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=key_path)
        subprocess.run([os.environ["PRESIGND_BINARY"], "migrate"], env=env, check=True, capture_output=True)
        server = Presignd(os.path.join(work, "presignd"), mode="unix", workers=WORKERS, threads=THREADS, env=env).start()
        proxy = Nginx(os.path.join(work, "nginx"), server.upstream, keepalive=CONNECTIONS).start()
        base = proxy.url

        # One ready document to download.
        auth = {"Authorization": "Bearer " + token("bench-user")}
        body = {"purpose": "document", "fileName": "bench.pdf", "contentType": "application/pdf", "fileSize": 4}
        p = requests.post(base + "/api/uploads/presign", json=body, headers=auth, timeout=10).json()
        requests.post(p["url"], data=list(p["fields"].items()), files={"file": ("f", b"%PDF")}, timeout=10).raise_for_status()
        requests.post(base + "/api/uploads/confirm", json={"fileId": p["fileId"]}, headers=auth, timeout=10).raise_for_status()

        common = {"FLOWS_TOKEN": token("bench-user")}
        rows = [
            ("POST /api/uploads/presign (sign + INSERT row and audit)",
             wrk(base + "/api/uploads/presign", "post-json.lua", dict(common, FLOWS_BODY=json.dumps(body)))),
            ("GET /api/documents/{id}/download (lookup + audit INSERT + sign)",
             wrk(base + f"/api/documents/{p['fileId']}/download", "get-auth.lua", common)),
            ("POST /api/auth/cdn-cookies (cached signature + audit INSERT)",
             wrk(base + "/api/auth/cdn-cookies", "post-json.lua", common)),
        ]
        tps, latency = pgbench(pg.url)
        inserts = pg.psql("SELECT count(*) FROM audit_log")[0][0]

        print(f"\nFlows through nginx -> presignd ({WORKERS} workers x {THREADS} threads), wrk -t{min(2, CONNECTIONS)} -c{CONNECTIONS} -d{SECONDS}s; "
              f"PostgreSQL 15 on loopback TCP, synchronous_commit=on\n")
        print("| what | req/s | p50 ms | p99 ms | failed |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, r in rows:
            print(f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['bad']} |")
        print(f"| pgbench: one prepared INSERT per transaction, -c{CONNECTIONS} (the database bound) | {tps:.0f} | — | "
              f"avg {latency:.2f} | 0 |")
        print(f"\n({inserts} audit rows written in total.)")
    finally:
        if proxy:
            proxy.stop()
        if server:
            try:
                server.stop(timeout=20)
            finally:
                server.kill()
        s3.stop()
        pg.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
