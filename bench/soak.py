"""Soak (not a test): SOAK_REQUESTS (default 1,000,000) mixed authenticated requests through
nginx — presign, list, download, in turn — against presignd (2 workers × 8 threads), PostgreSQL
and ministack, in wrk slices of SOAK_SLICE seconds (default 10); after each slice every worker's
RSS (VmRSS from /proc) is sampled. Prints the curve as a markdown table and the verdict against
the target (≤ 16 MiB per worker, no growth over the last half). PRESIGND_BINARY: release presignd.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "integration"))
os.environ.setdefault("MULTIPART_SECONDS", os.environ.get("SOAK_SLICE", "10"))

import requests  # noqa: E402

import multipart  # noqa: E402  (stack, CPU and wrk helpers)
from harness import ministack as ministack_harness  # noqa: E402
from harness.nginx import Nginx  # noqa: E402
from harness.postgres import PostgresCluster  # noqa: E402
from harness.presignd import Presignd  # noqa: E402

TOTAL = int(os.environ.get("SOAK_REQUESTS", "1000000"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    work = tempfile.mkdtemp(prefix="presignd-soak-")
    stopped = []
    try:
        s3 = ministack_harness.start()
        stopped.append(s3.stop)
        pg = PostgresCluster()
        stopped.append(pg.destroy)
        env = s3.env()
        env.update(pg.env, AWS_ENDPOINT_URL_S3=s3.endpoint, PRESIGND_S3_ADDRESSING="path", PRESIGND_BUCKET=s3.bucket,
                   PRESIGND_JWT_HS256_SECRET=multipart.SECRET, PRESIGND_PURPOSES=json.dumps(multipart.PURPOSES))
        subprocess.run([os.environ["PRESIGND_BINARY"], "migrate"], env=env, check=True, capture_output=True)
        server = Presignd(os.path.join(work, "presignd"), mode="unix", workers=2, threads=8, env=env)
        server.start()
        stopped.append(lambda: (server.stop(timeout=20), server.kill()))
        proxy = Nginx(os.path.join(work, "nginx"), server.upstream, keepalive=16, workers=1)
        proxy.start()
        stopped.append(proxy.stop)
        auth = {"Authorization": f"Bearer {multipart.token('soak')}"}
        data = b"%PDF-1.4 soak"
        p = requests.post(proxy.url + "/api/uploads/presign", headers=auth, timeout=30,
                          json={"purpose": "document", "fileName": "soak.pdf", "contentType": "application/pdf", "fileSize": len(data)}).json()
        assert requests.post(p["url"], data=list(p["fields"].items()), files={"file": ("soak.pdf", data)}, timeout=30).ok
        assert requests.post(proxy.url + "/api/uploads/confirm", headers=auth, json={"fileId": p["fileId"]}, timeout=30).ok
        extra = {"FLOWS_TOKEN": multipart.token("soak"), "FLOWS_DOCUMENT": p["fileId"],
                 "FLOWS_BODY": json.dumps({"purpose": "document", "fileName": "a.pdf", "contentType": "application/pdf", "fileSize": 100})}
        cpu = multipart.CPU(server, proxy, pg)
        workers = server.worker_pids()
        samples = [(0, 0.0, [rss_kib(pid) for pid in workers])]
        done, failed, started = 0, 0, time.monotonic()
        while done < TOTAL:
            result = multipart.wrk(proxy.url + "/", "mixed.lua", extra, cpu)
            done += result["requests"]
            failed += result["bad"]
            samples.append((done, time.monotonic() - started, [rss_kib(pid) for pid in workers]))
            assert server.worker_pids() == workers, "a worker was replaced during the soak"
        print(f"| requests | seconds | " + " | ".join(f"worker {i + 1} RSS MiB" for i in range(len(workers))) + " |")
        print("| ---: | ---: | " + " | ".join("---:" for _ in workers) + " |")
        for count, seconds, rss in samples:
            print(f"| {count:,} | {seconds:.0f} | " + " | ".join(f"{kib / 1024:.1f}" for kib in rss) + " |")
        half = samples[len(samples) // 2][2]
        last = samples[-1][2]
        peak = max(max(rss) for _, _, rss in samples)
        print(f"\n{done:,} requests, {failed} failed; peak worker RSS {peak / 1024:.1f} MiB (target <= 16 MiB); "
              f"growth over the second half: " + ", ".join(f"{(b - a) / 1024:+.1f} MiB" for a, b in zip(half, last)))
    finally:
        for stop in reversed(stopped):
            try:
                stop()
            except Exception as error:
                print(f"stopping: {error}", file=sys.stderr)


if __name__ == "__main__":
    main()
