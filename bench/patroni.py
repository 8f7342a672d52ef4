"""Patroni benchmark (issue 25 §1; not a test: test_patroni.py holds the behaviour, this measures
it). Three PostgreSQL 15 nodes managed by Patroni with etcd, each node in a network namespace of
its own (harness/patroni.py, the tests' cluster: ttl 8 s, loop_wait 1 s, retry_timeout 3 s,
primary_start_timeout 0), presignd on the multi-host URL (target_session_attrs=read-write,
connect timeout 2 s, statement timeout 2 s + 1 s on the socket) behind nginx. Real processes,
everything stopped by PID.

1. Failover, PATRONI_RUNS times for each of: Patroni's switchover (POST /switchover), the
   leader's postmaster SIGKILLed, the leader's link taken down (partition), every process of
   the leader SIGSTOPped (frozen); a fresh cluster each run, 3 writing and 2 reading keep-alive
   clients (harness/failover.py's). Measured from the failure: Patroni's own time to a new
   leader (the first 200 to GET /primary from another node, polled every 20 ms) and presignd's
   first acknowledged write answered after it; the 503s, anything else, the acknowledged writes
   missing on the new leader.
2. The write path with synchronous_mode off and on: one cluster, wrk on POST
   /api/uploads/presign (INSERT of the row and its audit row, one commit), off / on / on / off
   (Patroni's PATCH /config between), req/s and latency p50/p99. The synchronous standby is on
   this machine (over the bridge): the figure is the cost of the extra round trip and the
   standby's flush, without a network's latency.

Prints markdown tables. Knobs: PATRONI_RUNS (5), PATRONI_HARMS (switchover,postmaster-killed,
partition,frozen), SYNC_SECONDS (8), SYNC_CONNECTIONS (8), SYNC_WORKERS (2), SYNC_THREADS (8),
SKIP_FAILOVER=1, SKIP_SYNC=1. PRESIGND_BINARY: the release presignd. Needs root (namespaces)."""
import json
import os
import pathlib
import shutil
import statistics
import tempfile

from common import run_wrk, wrk_knobs
from harness import failover, netns
from harness import patroni as ha
from harness.common import make_token

RUNS = int(os.environ.get("PATRONI_RUNS", "5"))
HARMS = os.environ.get("PATRONI_HARMS", "switchover,postmaster-killed,partition,frozen").split(",")
SECONDS, CONNECTIONS, WORKERS, THREADS = wrk_knobs("SYNC", seconds=8, connections=8)


def one_failover(root, harm):
    with ha.patroni_stack(root) as (cluster, server, proxy):
        records, moments, old, new, undo = ha.fail_under_load(cluster, proxy, ha.HARMS[harm], settle=1.0)
        try:
            assert new is not None and moments.get("first_write") is not None, (harm, moments, cluster.cluster_state())
            acked, no_row, no_audit = failover.acknowledged_writes_on(new, records)
        finally:
            if undo:
                undo()
        failure = moments["failure"]
        return {"patroni": moments["new_leader"] - failure, "presignd": moments["first_write"] - failure,
                "503": sum(r["status"] == 503 for r in records), "other": len(failover.unexpected_answers(records)),
                "acked": len(acked), "lost": len(set(no_row) | set(no_audit))}


def failover_table(workdir):
    print(f"### Patroni failover: failure → Patroni's new leader → presignd's first write ({RUNS} runs each)\n")
    print("| failure | run | Patroni: new leader (GET /primary 200) | presignd: first write | presignd after Patroni | 503s | other non-200 | acknowledged writes | missing on the new leader |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    summary = {}
    for harm in HARMS:
        runs = []
        for n in range(RUNS):
            r = one_failover(workdir / f"{harm}-{n}", harm)
            runs.append(r)
            print(f"| {harm} | {n + 1} | {r['patroni'] * 1000:.0f} ms | {r['presignd'] * 1000:.0f} ms | "
                  f"{(r['presignd'] - r['patroni']) * 1000:.0f} ms | {r['503']} | {r['other']} | {r['acked']} | {r['lost']} |",
                  flush=True)
        summary[harm] = runs
    print("\n| failure | Patroni p50 | Patroni max | presignd p50 | presignd max | presignd after Patroni p50 / max | writes missing (all runs) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for harm, runs in summary.items():
        p = [r["patroni"] * 1000 for r in runs]
        s = [r["presignd"] * 1000 for r in runs]
        d = [(r["presignd"] - r["patroni"]) * 1000 for r in runs]
        print(f"| {harm} | {statistics.median(p):.0f} ms | {max(p):.0f} ms | {statistics.median(s):.0f} ms | "
              f"{max(s):.0f} ms | {statistics.median(d):.0f} / {max(d):.0f} ms | "
              f"{sum(r['lost'] for r in runs)} of {sum(r['acked'] for r in runs)} |")
    print()


def sync_table(workdir):
    body = json.dumps({"purpose": "document", "fileName": "report.pdf", "contentType": "application/pdf", "fileSize": 100})
    env = {"FLOWS_TOKEN": make_token(secret=failover.JWT_SECRET, lifetime=3600), "FLOWS_BODY": body}
    with ha.patroni_stack(workdir / "sync", workers=WORKERS, threads=THREADS) as (cluster, server, proxy):
        url = proxy.url + "/api/uploads/presign"
        run_wrk(url, "post-json.lua", env, CONNECTIONS, 2)  # warm up
        runs = {False: [], True: []}
        for on in (False, True, True, False):  # A B B A: the table's growth falls on both alike
            cluster.set_synchronous(on)
            runs[on].append(run_wrk(url, "post-json.lua", env, CONNECTIONS, SECONDS))
        print(f"### Patroni synchronous_mode: the write path (POST /api/uploads/presign, wrk -t2 -c{CONNECTIONS} "
              f"-d{SECONDS}s, presignd {WORKERS} workers × {THREADS} threads, off / on / on / off)\n")
        print("| synchronous_mode | req/s (mean of 2 runs: each) | p50 ms | p99 ms | non-2xx |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for on in (False, True):
            pair = runs[on]
            mean = lambda f: sum(f(r) for r in pair) / len(pair)  # noqa: E731
            each = " / ".join(f"{r['rps']:,.0f}" for r in pair)
            print(f"| {'on' if on else 'off'} | {mean(lambda r: r['rps']):,.0f} ({each}) | {mean(lambda r: r['p50']):.2f} | "
                  f"{mean(lambda r: r['p99']):.2f} | {sum(r['bad'] for r in pair)} |", flush=True)
        print()


def main():
    reason = ha.unavailable() or netns.unavailable()
    if reason:
        raise SystemExit(f"bench/patroni.py: {reason}")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="presignd-bench-patroni-"))
    try:
        if os.environ.get("SKIP_FAILOVER") != "1":
            failover_table(workdir)
        if os.environ.get("SKIP_SYNC") != "1":
            sync_table(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
