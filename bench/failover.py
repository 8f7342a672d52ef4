"""Failover and second-host benchmark (issue 11 §5-6; not a test: test_failover.py and
test_second_host.py hold the behaviour, this measures it). Real processes, loopback and network
namespaces made here, everything stopped by PID.

1. Database failover, FAILOVER_RUNS times for each of: the primary shut down (`pg_ctl stop -m
   fast`, asynchronous replication) and crashed (`-m immediate`, synchronous replication). A
   primary and a `pg_basebackup -R` standby, presignd on the multi-host URL
   (target_session_attrs=read-write) behind nginx, 3 writing and 2 reading keep-alive clients.
   Measured: promote → first 200 write (the target is ≤ 2 s), what `pg_ctl promote -w` itself
   takes, stop → first 200, the 503s seen.
2. One host vs two: presignd hosts in network namespaces (FastCGI over TCP on veth addresses)
   behind one nginx, one PostgreSQL, the same wrk run against an upstream of host A alone and of
   A and B: req/s, p50/p99 and CPU per request of presignd (all hosts), nginx, PostgreSQL and wrk
   (from /proc). Both hosts share this machine's two cores, so this is a functional check of the
   spread and its cost, not scaling.

Prints markdown tables. Knobs: FAILOVER_RUNS (3), HOSTS_SECONDS (8), HOSTS_CONNECTIONS (8),
HOSTS_WORKERS (2 per host), HOSTS_THREADS (8), SKIP_FAILOVER=1, SKIP_HOSTS=1.
PRESIGND_BINARY: the release presignd."""
import json
import os
import shutil
import statistics
import time

import requests

from common import CPU, Stopping, run_wrk, wrk_knobs
from harness import failover, netns  # the tests' stack, load and checks: one definition
from harness.common import make_token
from harness.nginx import Nginx
from harness.presignd import MINIMAL_CONFIG

RUNS = int(os.environ.get("FAILOVER_RUNS", "3"))
SECONDS, CONNECTIONS, WORKERS, THREADS = wrk_knobs("HOSTS", seconds=8, connections=8)


class Workdir:
    def __init__(self):
        import pathlib
        import tempfile
        self.path = pathlib.Path(tempfile.mkdtemp(prefix="presignd-bench-failover-"))

    def sub(self, name):
        return self.path / name


def one_failover(crash, workdir):
    with failover.FailoverStack(workdir.sub(f"run-{time.monotonic_ns()}"), synchronous=crash) as stack:
        moments = {}

        def switch(records):
            time.sleep(1.0)
            moments["stop"] = time.monotonic()
            stack.primary.stop("immediate" if crash else "fast")
            time.sleep(0.5)
            moments["promote"] = time.monotonic()
            stack.standby.promote()
            moments["promoted"] = time.monotonic()
            deadline = moments["promote"] + failover.LIVENESS_BOUND
            while time.monotonic() < deadline and not any(
                    r["status"] == 200 and r["start"] >= moments["promote"] for r in records[-50:]):
                time.sleep(0.02)
            time.sleep(0.5)

        records = failover.run_load(stack.proxy.url, switch)
        bad = [r for r in records if r["status"] not in (200, 503)]
        first = min(r["end"] for r in records if r["kind"] == "POST" and r["status"] == 200 and r["start"] >= moments["promote"])
        acked, no_row, no_audit = failover.acknowledged_writes_on(stack.standby, records)
        return {"promote_to_200": first - moments["promote"], "pg_ctl_promote": moments["promoted"] - moments["promote"],
                "stop_to_200": first - moments["stop"], "503": sum(r["status"] == 503 for r in records),
                "other": len(bad), "acked": len(acked), "lost": len(no_row) + len(no_audit)}


def failover_table(workdir):
    print("### Database failover: promote → first 200 write\n")
    print("| primary | replication | run | promote → first 200 write | `pg_ctl promote -w` | stop → first 200 (0.5 s without a primary) | 503s | other non-200 | acknowledged writes | missing on the new primary |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    summary = {}
    for crash in (False, True):
        label = ("crashed (`-m immediate`)", "synchronous") if crash else ("shut down (`-m fast`)", "asynchronous")
        runs = []
        for n in range(RUNS):
            r = one_failover(crash, workdir)
            runs.append(r)
            print(f"| {label[0]} | {label[1]} | {n + 1} | {r['promote_to_200'] * 1000:.0f} ms | {r['pg_ctl_promote'] * 1000:.0f} ms | "
                  f"{r['stop_to_200'] * 1000:.0f} ms | {r['503']} | {r['other']} | {r['acked']} | {r['lost']} |", flush=True)
        summary[label[0]] = runs
    values = [r["promote_to_200"] * 1000 for runs in summary.values() for r in runs]
    print(f"\npromote → first 200 write over {len(values)} runs: median {statistics.median(values):.0f} ms, "
          f"max {max(values):.0f} ms (target ≤ 2000 ms)\n")


def wrk(url, script, env, cpu):
    return run_wrk(url, script, env, CONNECTIONS, SECONDS, cpu)


def hosts_table(workdir):
    reason = netns.unavailable()
    if reason:
        print(f"### One host vs two: skipped ({reason})\n")
        return
    env = dict(MINIMAL_CONFIG, PRESIGND_JWT_HS256_SECRET=failover.JWT_SECRET, PRESIGND_PURPOSES=json.dumps(failover.PURPOSES))
    with netns.two_hosts(workdir.path, env, workers=WORKERS, threads=THREADS) as (hosts, pg), Stopping() as stopped:
        one = Nginx(workdir.sub("nginx-one"), hosts[0].upstream, keepalive=8)
        stopped.append(one.stop)
        one.start()
        two = netns.TwoHostNginx(workdir.sub("nginx-two"), [h.upstream for h in hosts])
        stopped.append(two.stop)
        two.start()
        proxies = [one, two]
        token = make_token(secret=failover.JWT_SECRET)
        body = json.dumps({"purpose": "document", "fileName": "report.pdf", "contentType": "application/pdf", "fileSize": 100})
        for proxy in proxies:  # warm both paths; the two-host one must answer from both hosts
            answers = [requests.get(proxy.url + "/api/documents", headers={"Authorization": f"Bearer {token}"}, timeout=10)
                       for _ in range(4)]
            assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        seen = {a.headers.get(netns.UPSTREAM_HEADER) for a in answers}
        assert seen == {h.upstream for h in hosts}, seen
        token_env = {"FLOWS_TOKEN": token}
        routes = [("POST /api/uploads/presign (INSERT row + audit)", "/api/uploads/presign", "post-json.lua", dict(token_env, FLOWS_BODY=body)),
                  ("GET /api/documents (SELECT)", "/api/documents", "get-auth.lua", token_env),
                  ("GET /healthz (no database)", "/healthz", "get-auth.lua", token_env)]
        print(f"### One host vs two behind one nginx (wrk -t2 -c{CONNECTIONS} -d{SECONDS}s; each host {WORKERS} workers × {THREADS} threads; "
              "both hosts on the same 2 cores)\n")
        print("| route | hosts | req/s (mean of 2 runs: each) | p50 ms | p99 ms | non-2xx | CPU µs/request: presignd | nginx | PostgreSQL | wrk | total |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, path, script, route_env in routes:
            # A B B A, so the table's growth and the machine's drift fall on both alike; means shown.
            runs = {"1": [], "2": []}
            for label in ("1", "2", "2", "1"):
                proxy = one if label == "1" else two
                runs[label].append(wrk(proxy.url + path, script, route_env, CPU(hosts if label == "2" else hosts[:1], proxy, pg)))
            for label in ("1", "2"):
                pair = runs[label]
                mean = lambda f: sum(f(r) for r in pair) / len(pair)  # noqa: E731
                # A process that exits mid-run takes its CPU time with it: a tiny negative is 0.
                c = {k: max(0.0, mean(lambda r: r["cpu_us"][k])) for k in pair[0]["cpu_us"]}
                each = " / ".join(f"{r['rps']:,.0f}" for r in pair)
                print(f"| {name} | {label} | {mean(lambda r: r['rps']):,.0f} ({each}) | "
                      f"{mean(lambda r: r['p50']):.2f} | {mean(lambda r: r['p99']):.2f} | {sum(r['bad'] for r in pair)} | "
                      f"{c['presignd']:.0f} | {c['nginx']:.0f} | {c['postgres']:.0f} | {c['wrk']:.0f} | {sum(c.values()):.0f} |", flush=True)
        print()


def main():
    workdir = Workdir()
    try:
        if os.environ.get("SKIP_FAILOVER") != "1":
            failover_table(workdir)
        if os.environ.get("SKIP_HOSTS") != "1":
            hosts_table(workdir)
    finally:
        shutil.rmtree(workdir.path, ignore_errors=True)


if __name__ == "__main__":
    main()
