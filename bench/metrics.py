"""Cost of metrics on the hot path (issue 11; not a test): one PostgreSQL, and two otherwise
identical stacks (nginx -> presignd, 2 workers x 8 threads, unix socket, upstream keepalive),
one with metrics on (the default: shared table, request counter and latency histogram per
request, signature and transition counters) and one with PRESIGND_METRICS_ALLOW=off. wrk runs
POST /api/uploads/presign (JWT, POST policy, INSERT row + audit) and GET /healthz against each,
alternating A B A B over METRICS_ROUNDS rounds (default 5); prints the medians, presignd's CPU
per request (from /proc) and the ratios (target: presign req/s with metrics >= 97 % of without).
Knobs: MULTIPART_SECONDS (10), MULTIPART_CONNECTIONS (16); PRESIGND_BINARY: the release presignd.
"""
import json
import os
import statistics
import tempfile

import requests

import multipart  # its purposes, and its knobs: MULTIPART_SECONDS, _CONNECTIONS, _WORKERS, _THREADS (wrk with them)
from common import CPU, SECRET, Stopping, token
from harness.postgres import PostgresCluster
from harness.stack import migrate, start_stack, stop_stack

ROUNDS = int(os.environ.get("METRICS_ROUNDS", "5"))


def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-metrics-")
    with Stopping() as stopped:
        pg = PostgresCluster()
        stopped.append(pg.destroy)
        env = dict(pg.env, PRESIGND_BUCKET="bench-bucket", AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
                   AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", PRESIGND_JWT_HS256_SECRET=SECRET,
                   PRESIGND_PURPOSES=json.dumps(multipart.PURPOSES))
        migrate(env)
        stacks = {}
        for name, extra in (("metrics on", {}), ("metrics off", {"PRESIGND_METRICS_ALLOW": "off"})):
            server, proxy = start_stack(os.path.join(work, name.replace(" ", "-")), dict(env, **extra),
                                        workers=multipart.WORKERS, threads=multipart.THREADS, keepalive=16)
            stopped.append(lambda s=server, p=proxy: stop_stack(s, p))
            stacks[name] = (proxy.url, CPU([server], proxy, pg))
        on_metrics = requests.get(stacks["metrics on"][0] + "/metrics", timeout=10)
        assert on_metrics.status_code == 200 and "presignd_build_info" in on_metrics.text
        assert requests.get(stacks["metrics off"][0] + "/metrics", timeout=10).status_code == 404

        token_env = {"FLOWS_TOKEN": token("bench")}
        presign = {"purpose": "document", "fileName": "bench.pdf", "contentType": "application/pdf", "fileSize": 4}
        routes = {"POST /api/uploads/presign": ("/api/uploads/presign", "post-json.lua", dict(token_env, FLOWS_BODY=json.dumps(presign))),
                  "GET /healthz": ("/healthz", "get-auth.lua", token_env)}
        results = {(route, name): [] for route in routes for name in stacks}
        for _ in range(ROUNDS):
            for route, (path, script, extra) in routes.items():
                for name, (base, cpu) in stacks.items():
                    result = multipart.wrk(base + path, script, extra, cpu)
                    assert result["bad"] == 0, (route, name, result)
                    results[(route, name)].append(result)
        print("| route | metrics | req/s | p50 ms | p99 ms | presignd µs CPU/req | PostgreSQL µs CPU/req |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        medians = {}
        for (route, name), runs in results.items():
            medians[(route, name)] = statistics.median(r["rps"] for r in runs)
            print(f"| {route} | {name.split()[1]} | {medians[(route, name)]:,.0f} | {statistics.median(r['p50'] for r in runs):.2f} | "
                  f"{statistics.median(r['p99'] for r in runs):.2f} | {statistics.median(r['cpu_us']['presignd'] for r in runs):.1f} | "
                  f"{statistics.median(r['cpu_us']['postgres'] for r in runs):.1f} |")
        print()
        for route in routes:
            print(f"{route}: with metrics {medians[(route, 'metrics on')] / medians[(route, 'metrics off')]:.1%} of the req/s without "
                  f"(target >= 97 %); medians of {ROUNDS} alternating rounds")


if __name__ == "__main__":
    main()
