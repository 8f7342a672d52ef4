"""Metrics and logs an operator can use (issue 11, sections 1 and 2), against real peers:
nginx → presignd (2 prefork workers) → PostgreSQL 15, scraped by a real Prometheus (Debian's
package) and linted by its `promtool check metrics`.

What is proved: the counters are the whole server's, not one worker's — every scrape, whichever
worker answers it, reports exactly the requests the test sent, summed over both workers (each
of which served a share); the counts survive a worker's death and a reload, which are counted
themselves; Prometheus scrapes the allow-listed route and the loopback-only listener and its
query gives the same sums; with PRESIGND_LOG_FORMAT=json every line presignd writes is a JSON
object, and a request's line carries the request id nginx made, which is also in X-Request-ID
and in the error body."""
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest
import requests

from harness.common import PURPOSES, make_token
from harness.nginx import NGINX_DIR, free_port, wait_for_port
from harness.stack import migrate, stack_env

JWT_SECRET = "metrics-jwt-secret-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"


@pytest.fixture(scope="module")
def stack(postgres, ministack, module_stack):
    env = stack_env(postgres, ministack, PURPOSES, JWT_SECRET, PRESIGND_LOG_FORMAT="json", PRESIGND_ACCESS_LOG="all")
    migrate(env)
    metrics_port = free_port()
    listener = (NGINX_DIR / "presignd-metrics.conf").read_text().replace("127.0.0.1:9145", f"127.0.0.1:{metrics_port}")
    listener = listener.replace("    listen [::1]:9145;\n", "")
    server, proxy = module_stack("metrics", env, workers=2, threads=4, extra_http_lines=listener)
    wait_for_port(metrics_port)
    return server, proxy, metrics_port


def scrape(url):
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return r.text


def samples(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def value(text, key):
    return samples(text).get(key, 0.0)


def cpu_ticks(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def send_load(base, healthz, presigns, refusals, threads=8):
    """`healthz` GET /healthz, `presigns` presigns and `refusals` requests with an expired token,
    spread over `threads` keep-alive clients; returns the status codes seen."""
    jobs = [("GET", "/healthz", None, None)] * healthz + \
           [("POST", "/api/uploads/presign", {"purpose": "document", "fileName": "r.pdf", "contentType": "application/pdf",
                                              "fileSize": 1000}, make_token(secret=JWT_SECRET))] * presigns + \
           [("GET", "/api/documents", None, make_token("x", secret=JWT_SECRET, iat=None, exp=1))] * refusals
    lock, statuses = threading.Lock(), []

    def client(part):
        session = requests.Session()
        for method, path, body, bearer in part:
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            r = session.request(method, base + path, json=body, headers=headers, timeout=15)
            with lock:
                statuses.append(r.status_code)

    workers = [threading.Thread(target=client, args=(jobs[i::threads],)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return statuses


HEALTHZ = 'presignd_http_requests_total{route="/healthz",status="200"}'
PRESIGN = 'presignd_http_requests_total{route="/api/uploads/presign",status="200"}'
REFUSED = 'presignd_http_requests_total{route="/api/documents",status="401"}'


def test_counts_are_the_whole_servers_whichever_worker_answers(stack):
    server, proxy, metrics_port = stack
    before = scrape(proxy.url + "/metrics")
    workers = server.worker_pids()
    cpu_before = {pid: cpu_ticks(pid) for pid in workers}
    statuses = send_load(proxy.url, healthz=1500, presigns=300, refusals=120)
    assert statuses.count(200) == 1800 and statuses.count(401) == 120, sorted(set(statuses))
    # Both workers served a share (CPU time went up in each), so one worker's own counts
    # could not equal the totals below.
    assert all(cpu_ticks(pid) > cpu_before[pid] for pid in workers), "the load did not reach both workers"

    # Many scrapes over fresh connections land on both workers; every one sees the same sums.
    for _ in range(12):
        text = scrape(proxy.url + "/metrics")
        assert value(text, HEALTHZ) - value(before, HEALTHZ) == 1500
        assert value(text, PRESIGN) - value(before, PRESIGN) == 300
        assert value(text, REFUSED) - value(before, REFUSED) == 120
    other = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
    assert value(other, HEALTHZ) - value(before, HEALTHZ) == 1500

    after = samples(other)
    delta = lambda key: after.get(key, 0) - samples(before).get(key, 0)
    assert delta('presignd_signatures_total{kind="post_policy"}') == 300
    assert delta('presignd_upload_transitions_total{from="none",to="pending"}') == 300
    assert delta('presignd_jwt_refusals_total{reason="expired"}') == 120
    assert delta('presignd_http_request_duration_seconds_count{route="/api/uploads/presign"}') == 300
    assert after['presignd_http_request_duration_seconds_bucket{route="/api/uploads/presign",le="+Inf"}'] == \
        after['presignd_http_request_duration_seconds_count{route="/api/uploads/presign"}']
    assert after['presignd_workers'] == 2
    # The pool: each worker's gauge is back to 0 between requests; connections were opened.
    assert after['presignd_db_connections_in_use{worker="0"}'] == 0 and after['presignd_db_connections_in_use{worker="1"}'] == 0
    assert after.get('presignd_db_connections_opened_total', 0) >= 2
    assert any(key.startswith("presignd_build_info{version=") for key in after)
    # Not the public's: the listener answers nothing else, and no token or signature is exported.
    assert requests.get(f"http://127.0.0.1:{metrics_port}/api/documents", timeout=5).status_code == 404
    assert "eyJ" not in other and "X-Amz-Signature" not in other and "Bearer ey" not in other


def test_promtool_accepts_the_exposition(stack):
    _, proxy, _ = stack
    send_load(proxy.url, healthz=20, presigns=5, refusals=3)
    text = scrape(proxy.url + "/metrics")
    out = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == "" and out.stderr.strip() == "", out.stdout + out.stderr


def test_counts_survive_a_worker_death_and_a_reload_which_are_counted(stack):
    server, proxy, _ = stack
    send_load(proxy.url, healthz=50, presigns=0, refusals=0)
    before = samples(scrape(proxy.url + "/metrics"))
    victim = server.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    server.wait_for_workers(2, exclude=(victim,), timeout=15)
    after_kill = samples(scrape(proxy.url + "/metrics"))
    assert after_kill[HEALTHZ] >= before[HEALTHZ]  # the dead worker's counts are still there
    assert after_kill.get("presignd_worker_restarts_total", 0) == before.get("presignd_worker_restarts_total", 0) + 1

    old = set(server.worker_pids())
    server.signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (set(server.worker_pids()) & old or len(server.worker_pids()) != 2):
        time.sleep(0.1)
    assert not set(server.worker_pids()) & old, "the reload did not replace the workers"
    send_load(proxy.url, healthz=10, presigns=0, refusals=0)
    after_reload = samples(scrape(proxy.url + "/metrics"))
    assert after_reload['presignd_reloads_total{outcome="completed"}'] == \
        before.get('presignd_reloads_total{outcome="completed"}', 0) + 1
    assert after_reload[HEALTHZ] == after_kill[HEALTHZ] + 10


def test_prometheus_scrapes_both_routes_and_its_sums_match(stack, tmp_path):
    _, proxy, metrics_port = stack
    prometheus = shutil.which("prometheus")
    assert prometheus, "Debian's prometheus package is installed by deploy/test.sh"
    port = free_port()
    target = proxy.url.split("//")[1]
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: presignd
    metrics_path: /metrics
    static_configs:
      - targets: ["{target}"]
  - job_name: presignd-listener
    static_configs:
      - targets: ["127.0.0.1:{metrics_port}"]
""")
    log = open(tmp_path / "prometheus.log", "wb")
    process = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=30, process=process)
        statuses = send_load(proxy.url, healthz=400, presigns=40, refusals=0)
        assert statuses.count(200) == 440
        expected = value(scrape(proxy.url + "/metrics"), HEALTHZ)

        def query(expression):
            r = requests.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": expression}, timeout=5)
            result = r.json()["data"]["result"]
            return {item["metric"].get("job"): float(item["value"][1]) for item in result}

        deadline, seen = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            seen = query('presignd_http_requests_total{route="/healthz",status="200"}')
            if seen.get("presignd") == expected and seen.get("presignd-listener") == expected:
                break
            time.sleep(0.5)
        assert seen == {"presignd": expected, "presignd-listener": expected}, (seen, expected)
        assert query("up") == {"presignd": 1.0, "presignd-listener": 1.0}
        rate = query('sum by (job) (presignd_http_request_duration_seconds_count{route="/api/uploads/presign"})')
        assert rate["presignd"] >= 40
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_json_lines_carry_nginxs_request_id(stack):
    server, proxy, _ = stack
    r = requests.get(proxy.url + "/api/documents/00000000-0000-4000-8000-000000000000/download",
                     headers={"Authorization": f"Bearer {make_token('carol', secret=JWT_SECRET)}", "X-Request-ID": "client-chosen"}, timeout=10)
    assert r.status_code == 404
    request_id = r.headers["X-Request-ID"]
    # nginx's $request_id (32 hex digits) replaced the client's header.
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id
    assert r.json()["error"]["request_id"] == request_id
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and request_id not in server.log():
        time.sleep(0.05)
    lines = [line for line in server.log().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "event"} <= set(item) for item in parsed)
    mine = [item for item in parsed if item.get("request_id") == request_id]
    assert len(mine) == 1, mine
    assert mine[0]["event"] == "request" and mine[0]["status"] == 404 and mine[0]["level"] == "warning"
    assert mine[0]["route"] == "/api/documents/{id}/download" and mine[0]["user_id"] == "carol"
    assert mine[0]["error_code"] == "not_found" and mine[0]["duration_ms"] >= 0
    assert any(item.get("pid") and "serving FastCGI" in item["event"] for item in parsed)
