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
import tempfile

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from common import SECRET, Stopping, run_wrk, start_peers, token, wrk_knobs
from harness.postgres import PG_BIN
from harness.common import honest
from harness.stack import migrate, stack_env, start_stack, stop_stack

SECONDS, CONNECTIONS, WORKERS, THREADS = wrk_knobs("FLOWS")


def wrk(url, script, env):
    return run_wrk(url, script, env, CONNECTIONS, SECONDS)


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
    with Stopping() as stopped:
        stopped.append(lambda: shutil.rmtree(work, ignore_errors=True))
        pg, s3 = start_peers(stopped)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_path = os.path.join(work, "cloudfront.pem")
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        env = stack_env(pg, s3, None, SECRET, PRESIGND_CDN_DOMAIN="cdn.bench.test", PRESIGND_CDN_COOKIE_DOMAIN=".bench.test",
                        PRESIGND_CLOUDFRONT_KEY_PAIR_ID="K2JCJMDEHXQW5F", PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=key_path)
        migrate(env)
        server, proxy = start_stack(work, env, workers=WORKERS, threads=THREADS, keepalive=CONNECTIONS)
        stopped.append(lambda: stop_stack(server, proxy))
        base = proxy.url

        # One ready document to download.
        auth = {"Authorization": "Bearer " + token("bench-user")}
        body = {"purpose": "document", "fileName": "bench.pdf", "contentType": "application/pdf", "fileSize": 4}
        # A real PDF's first bytes: confirm checks what the file is (ContentCheck.swift).
        pdf = honest("pdf", 64)
        p = requests.post(base + "/api/uploads/presign", json=dict(body, fileSize=len(pdf)), headers=auth, timeout=10).json()
        requests.post(p["url"], data=list(p["fields"].items()), files={"file": ("f", pdf)}, timeout=10).raise_for_status()
        requests.post(base + "/api/uploads/confirm", json={"fileId": p["fileId"]}, headers=auth, timeout=10).raise_for_status()

        token_env = {"FLOWS_TOKEN": token("bench-user")}
        rows = [
            ("POST /api/uploads/presign (sign + INSERT row and audit)",
             wrk(base + "/api/uploads/presign", "post-json.lua", dict(token_env, FLOWS_BODY=json.dumps(body)))),
            ("GET /api/documents/{id}/download (lookup + audit INSERT + sign)",
             wrk(base + f"/api/documents/{p['fileId']}/download", "get-auth.lua", token_env)),
            ("POST /api/auth/cdn-cookies (cached signature + audit INSERT)",
             wrk(base + "/api/auth/cdn-cookies", "post-json.lua", token_env)),
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


if __name__ == "__main__":
    main()
