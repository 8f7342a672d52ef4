"""Replica lag under load (issue 25 §2; not a test): a PostgreSQL 15 primary and a streaming
standby, presignd (2 workers x 8 threads) behind nginx with PRESIGND_DATABASE_READ_URL on the
standby, and wrk running the soak's mix (presign, list, download; bench/flows/mixed.lua) for
REPLICA_SECONDS (20). Every 100 ms the primary's pg_stat_replication.replay_lag is sampled (the time
from a commit on the primary to its replay on the standby, as PostgreSQL measures it); prints its
p50/p99/max under load, the mix's rate, and which database served presignd's reads
(presignd_db_reads_total). The bound README states for listing and a revoked share is this lag
plus two of the watcher's 250 ms checks, at most PRESIGND_DATABASE_READ_MAX_LAG_MS plus 0.5 s."""
import json
import os
import threading
import time

import requests

from common import SECRET, Stopping, run_wrk, start_peers, token
from harness.postgres import PostgresStandby
from harness.common import honest
from harness.stack import migrate, stack_env, start_stack, stop_stack

SECONDS = int(os.environ.get("REPLICA_SECONDS", "20"))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    with Stopping() as stopped:
        pg, s3 = start_peers(stopped)
        env = stack_env(pg, s3, None, SECRET)
        migrate(env)
        standby = PostgresStandby(pg)
        stopped.append(standby.destroy)
        standby.wait_for_replay(pg)
        env.update(PRESIGND_DATABASE_READ_URL=standby.url)
        work = os.path.join("/tmp", f"presignd-bench-replica-{os.getpid()}")
        server, proxy = start_stack(work, env, workers=2, threads=8, keepalive=16)
        stopped.append(lambda: stop_stack(server, proxy))
        auth = {"Authorization": "Bearer " + token("bench-user")}
        body = {"purpose": "document", "fileName": "bench.pdf", "contentType": "application/pdf", "fileSize": 4}
        # A real PDF's first bytes: confirm checks what the file is (ContentCheck.swift).
        pdf = honest("pdf", 64)
        p = requests.post(proxy.url + "/api/uploads/presign", json=dict(body, fileSize=len(pdf)), headers=auth, timeout=10).json()
        requests.post(p["url"], data=list(p["fields"].items()), files={"file": ("f", pdf)}, timeout=10).raise_for_status()
        requests.post(proxy.url + "/api/uploads/confirm", json={"fileId": p["fileId"]}, headers=auth, timeout=10).raise_for_status()
        time.sleep(1)

        samples, done = [], threading.Event()

        def sample():
            while not done.is_set():
                row = pg.psql("SELECT coalesce(extract(epoch from replay_lag) * 1000, 0) FROM pg_stat_replication")
                if row:
                    samples.append(float(row[0][0]))
                time.sleep(0.1)
        sampler = threading.Thread(target=sample)
        sampler.start()
        result = run_wrk(proxy.url + "/", "mixed.lua", {"FLOWS_TOKEN": token("bench-user"), "FLOWS_BODY": json.dumps(body),
                                                      "FLOWS_DOCUMENT": p["fileId"]}, 16, SECONDS)
        done.set()
        sampler.join()
        reads = {line.split("{", 1)[1].split("}", 1)[0]: float(line.rsplit(" ", 1)[1])
                 for line in requests.get(proxy.url + "/metrics", timeout=10).text.splitlines()
                 if line.startswith("presignd_db_reads_total")}
        print(f"## Replica lag under load ({SECONDS} s of the soak's mix through nginx, wrk -c16)\n")
        print("| mix req/s | failed | replay_lag p50 ms | p99 ms | max ms | samples |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        print(f"| {result['rps']:.0f} | {result['bad']} | {percentile(samples, 50):.1f} | {percentile(samples, 99):.1f} | "
              f"{max(samples):.1f} | {len(samples)} |\n")
        print("| reads served | count |")
        print("| --- | ---: |")
        for labels, count in sorted(reads.items()):
            print(f"| {labels} | {count:.0f} |")


if __name__ == "__main__":
    main()
