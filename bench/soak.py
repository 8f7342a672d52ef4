"""Soak (not a test): SOAK_REQUESTS (default 1,000,000) mixed authenticated requests through
nginx — presign, list, download, in turn — against presignd (2 workers × 8 threads), PostgreSQL
and ministack, in wrk slices of SOAK_SLICE seconds (default 10); after each slice every worker's
RSS (VmRSS from /proc) is sampled. Prints the curve as a markdown table and the verdict against
the target (≤ 16 MiB per worker, no growth over the last half). PRESIGND_BINARY: release presignd.
"""
import json
import os
import tempfile
import time

os.environ.setdefault("MULTIPART_SECONDS", os.environ.get("SOAK_SLICE", "10"))

import requests  # noqa: E402

import multipart  # noqa: E402  (its purposes, and wrk with its knobs: MULTIPART_SECONDS, MULTIPART_CONNECTIONS)
from common import CPU, SECRET, Stopping, start_peers, token  # noqa: E402
from harness.stack import migrate, stack_env, start_stack, stop_stack  # noqa: E402

TOTAL = int(os.environ.get("SOAK_REQUESTS", "1000000"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    work = tempfile.mkdtemp(prefix="presignd-soak-")
    with Stopping() as stopped:
        pg, s3 = start_peers(stopped)
        env = stack_env(pg, s3, multipart.PURPOSES, SECRET)
        migrate(env)
        server, proxy = start_stack(work, env, workers=2, threads=8, keepalive=16)
        stopped.append(lambda: stop_stack(server, proxy))
        auth = {"Authorization": f"Bearer {token('soak')}"}
        data = b"%PDF-1.4 soak"
        p = requests.post(proxy.url + "/api/uploads/presign", headers=auth, timeout=30,
                          json={"purpose": "document", "fileName": "soak.pdf", "contentType": "application/pdf", "fileSize": len(data)}).json()
        assert requests.post(p["url"], data=list(p["fields"].items()), files={"file": ("soak.pdf", data)}, timeout=30).ok
        assert requests.post(proxy.url + "/api/uploads/confirm", headers=auth, json={"fileId": p["fileId"]}, timeout=30).ok
        extra = {"FLOWS_TOKEN": token("soak"), "FLOWS_DOCUMENT": p["fileId"],
                 "FLOWS_BODY": json.dumps({"purpose": "document", "fileName": "a.pdf", "contentType": "application/pdf", "fileSize": 100})}
        cpu = CPU([server], proxy, pg)
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


if __name__ == "__main__":
    main()
