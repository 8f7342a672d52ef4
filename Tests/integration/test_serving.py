"""presignd behind a real nginx in every serving mode, and its process lifecycle: a killed
worker is replaced, SIGTERM drains, SIGHUP reloads, bad input gets a clear 4xx."""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import threading
import time

import pytest
import requests

from harness import fastcgi_client
from harness.presignd import Presignd, run_cgi, parse_cgi_response

def assert_healthy(response):
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok" and body["version"]


@pytest.mark.parametrize("mode", ["unix", "tcp", "spawn-fcgi", "systemd"])
def test_fastcgi_modes_serve_healthz_through_nginx(serving_stack, mode):
    server, proxy = serving_stack(mode)
    session = requests.Session()
    for _ in range(50):  # more requests than threads: kept-alive connections must not stall
        assert_healthy(session.get(proxy.url + "/healthz", timeout=5))
    expected = {"unix": "unix:", "tcp": "127.0.0.1:", "spawn-fcgi": "inherited fd 0", "systemd": "systemd fd 3"}[mode]
    assert f"serving FastCGI on {expected}" in server.log()
    assert server.stop() == 0
    assert not server.worker_pids()


def test_unix_socket_gets_the_configured_mode_and_is_removed_on_exit(tmp_path):
    server = Presignd(tmp_path, mode="unix", workers=1).start()
    try:
        assert stat.S_IMODE(os.stat(server.socket_path).st_mode) == 0o660
        assert server.stop() == 0
        assert not server.socket_path.exists()
    finally:
        server.kill()


def test_stale_socket_is_replaced_but_a_live_one_is_not(tmp_path):
    first = Presignd(tmp_path, mode="unix", workers=1)
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(str(first.socket_path))
    leftover.close()  # the file stays and nobody listens: what a crashed server leaves behind
    first.start()
    try:
        assert "removing stale socket" in first.log()
        second = Presignd(tmp_path / "second", mode="unix", workers=1)
        second_log = tmp_path / "second.log"
        command = second.command()
        command[command.index("--listen") + 1] = str(first.socket_path)
        with open(second_log, "wb") as log:
            result = subprocess.run(command, env=second.env, stderr=log, timeout=10)
        assert result.returncode == 78
        assert "in use by a running server" in second_log.read_text()
        assert first.stop() == 0
    finally:
        first.kill()


def test_cgi_mode_through_fcgiwrap_and_nginx(serving_stack):
    _, proxy = serving_stack("fcgiwrap", workers=2)
    response = requests.get(proxy.url + "/healthz", timeout=10)
    assert_healthy(response)
    missing = requests.get(proxy.url + "/api/nothing-here", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_cgi_mode_run_directly():
    status, headers, body, seconds = run_cgi({"REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz", "QUERY_STRING": ""})
    assert status == 200 and b'"status":"ok"' in body
    assert headers["content-length"] == str(len(body))
    status, _, body, _ = run_cgi({"REQUEST_METHOD": "POST", "REQUEST_URI": "/healthz", "CONTENT_LENGTH": "70000",
                                  "CONTENT_TYPE": "application/json"})
    assert status == 413
    error = json.loads(body)["error"]
    assert error["code"] == "body_too_large" and error["message"] == "request body is 70000 bytes; the limit is 65536"
    assert re.fullmatch(r"[0-9a-f]{32}", error["request_id"]), "a refusal before the application still has a request id"
    status, _, body, _ = run_cgi({"REQUEST_METHOD": "POST", "REQUEST_URI": "/healthz", "CONTENT_LENGTH": "100",
                                  "CONTENT_TYPE": "application/json"}, body=b'{"a":1}')
    assert status == 400 and b"truncated_body" in body


def test_killed_worker_is_replaced_while_requests_keep_succeeding(serving_stack):
    server, proxy = serving_stack("unix", workers=2, threads=4)
    session = requests.Session()
    old = server.worker_pids()
    results = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                results.append(session.get(proxy.url + "/healthz", timeout=5).status_code)
            except requests.RequestException as error:
                results.append(repr(error))

    client = threading.Thread(target=load)
    client.start()
    time.sleep(0.3)
    os.kill(old[0], signal.SIGKILL)
    replaced = server.wait_for_workers(2, exclude=[old[0]], timeout=10)
    time.sleep(0.5)
    before_after = len(results)
    time.sleep(0.5)
    stop.set()
    client.join()
    assert old[0] not in replaced and old[1] in replaced
    # Only a request the killed worker was answering at that instant may fail.
    failures = [r for r in results if r != 200]
    assert len(failures) <= 1, failures
    assert all(r == 200 for r in results[before_after:])
    assert "was killed by signal 9; restarting it" in server.log()
    assert server.stop() == 0


def test_sigterm_drains_an_in_flight_request_and_exits_0(serving_stack):
    server, proxy = serving_stack("unix", workers=2, threads=2)
    outcome = {}

    def slow():
        outcome["response"] = requests.get(proxy.url + "/healthz?delay_ms=1500", timeout=10)

    client = threading.Thread(target=slow)
    client.start()
    time.sleep(0.4)
    started = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.process.wait(timeout=10) == 0
    client.join()
    assert_healthy(outcome["response"])
    assert time.monotonic() - started >= 0.8, "the supervisor must wait for the in-flight request"
    assert not server.worker_pids()


def test_sigterm_gives_up_on_a_stuck_request_after_the_drain_timeout(serving_stack):
    server, proxy = serving_stack("unix", workers=1, threads=2, drain_timeout=1)
    client = threading.Thread(target=lambda: requests.get(proxy.url + "/healthz?delay_ms=8000", timeout=15))
    client.start()
    time.sleep(0.4)
    started = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.process.wait(timeout=10) == 0
    assert time.monotonic() - started < 5
    assert "drain timeout" in server.log()
    client.join()


def test_sighup_replaces_workers_without_failed_requests(serving_stack):
    server, proxy = serving_stack("unix", workers=2, threads=4)
    old = server.worker_pids()
    results = []
    stop = threading.Event()

    def load(path):
        session = requests.Session()
        while not stop.is_set():
            try:
                results.append(session.get(proxy.url + path, timeout=10).status_code)
            except requests.RequestException as error:
                results.append(repr(error))

    clients = [threading.Thread(target=load, args=(p,)) for p in ("/healthz", "/healthz", "/healthz?delay_ms=300")]
    for client in clients:
        client.start()
    time.sleep(0.5)
    server.signal(signal.SIGHUP)
    new = server.wait_for_workers(2, exclude=old, timeout=15)
    time.sleep(0.5)
    stop.set()
    for client in clients:
        client.join()
    assert not set(new) & set(old)
    assert results and all(r == 200 for r in results), [r for r in results if r != 200][:5]
    assert "reload complete" in server.log()
    assert server.stop() == 0


def test_sighup_rereads_the_env_file_and_keeps_old_workers_when_it_is_broken(serving_stack, tmp_path):
    env_file = tmp_path / "presignd.env"
    env_file.write_text("PRESIGND_TEST_DELAY=1\n")
    server, proxy = serving_stack("unix", workers=1, threads=2,
                                  env={"PRESIGND_TEST_DELAY": "0", "PRESIGND_ENV_FILE": str(env_file)})

    def delayed():
        started = time.monotonic()
        assert_healthy(requests.get(proxy.url + "/healthz?delay_ms=400", timeout=10))
        return time.monotonic() - started

    assert delayed() >= 0.4, "the file's PRESIGND_TEST_DELAY=1 overrides the environment"
    first = server.worker_pids()

    env_file.write_text("PRESIGND_TEST_DELAY=maybe\n")
    server.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "reload failed" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "reload failed" in server.log() and "PRESIGND_TEST_DELAY" in server.log()
    assert server.wait_for_workers(1) == first, "the old worker keeps serving"
    assert delayed() >= 0.4

    env_file.write_text("# delays off again\nPRESIGND_TEST_DELAY=0\n")
    server.signal(signal.SIGHUP)
    second = server.wait_for_workers(1, exclude=first, timeout=15)
    assert second != first
    assert delayed() < 0.3, "the new worker read the new file"
    assert server.stop() == 0


def test_bad_input_through_nginx_gets_clear_4xx(serving_stack):
    server, proxy = serving_stack("unix", workers=1, threads=2)
    url = proxy.url
    big = requests.post(url + "/api/anything", data=b"x" * 70000, headers={"Content-Type": "application/json"}, timeout=5)
    assert big.status_code == 413
    assert big.json() == {"error": {"code": "body_too_large", "message": "request body is 70000 bytes; the limit is 65536",
                                    "request_id": big.headers["X-Request-ID"]}}

    # Past nginx's own client_max_body_size the snippet still answers in the one error shape,
    # with nginx's request id.
    huge_body = requests.post(url + "/api/anything", data=b"x" * (2 << 20), headers={"Content-Type": "application/json"}, timeout=5)
    assert huge_body.status_code == 413
    assert huge_body.json()["error"]["code"] == "body_too_large"
    assert huge_body.json()["error"]["request_id"] == huge_body.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", huge_body.headers["X-Request-ID"])

    brew = requests.request("BREW", url + "/healthz", timeout=5)
    assert brew.status_code == 405 and "GET" in brew.headers["Allow"]

    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as raw:
        raw.sendall(b"GET /api/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = raw.recv(65536)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b'"bad_path"' in reply

    long_path = requests.get(url + "/api/" + "a" * 5000, timeout=5)
    assert long_path.status_code == 414 and long_path.json()["error"]["code"]

    # nginx itself refuses a header over its 8 KiB buffers; still a 4xx, and presignd lives on.
    huge = requests.get(url + "/healthz", headers={"X-Huge": "h" * 20000}, timeout=5)
    assert 400 <= huge.status_code < 500

    assert_healthy(requests.get(url + "/healthz", timeout=5))
    assert server.process.poll() is None and len(server.worker_pids()) == 1


def test_what_nginx_would_not_send_truncated_body_and_huge_params(tmp_path):
    server = Presignd(tmp_path, mode="unix", workers=1, threads=2).start()
    address = str(server.socket_path)
    try:
        base = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/healthz", "CONTENT_TYPE": "application/json"}
        raw, kept = fastcgi_client.request(address, dict(base, CONTENT_LENGTH="100"), body=b'{"a":1}', keep_conn=True)
        status, _, body = parse_cgi_response(raw)
        assert status == 400 and b'"truncated_body"' in body
        # The same kept connection still serves the next request.
        raw, kept = fastcgi_client.request(address, {"REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz"}, keep_conn=True, sock=kept)
        assert parse_cgi_response(raw)[0] == 200
        kept.close()

        raw, _ = fastcgi_client.request(address, {"REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz", "HTTP_X_HUGE": "h" * 40000})
        status, _, body = parse_cgi_response(raw)
        assert status == 431 and b'"headers_too_large"' in body

        raw, _ = fastcgi_client.request(address, dict(base, CONTENT_LENGTH="70000"), body=b"x" * 70000)
        assert parse_cgi_response(raw)[0] == 413

        raw, _ = fastcgi_client.request(address, {"REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz"})
        assert parse_cgi_response(raw)[0] == 200
        assert server.stop() == 0
    finally:
        server.kill()


def test_regression_body_limit_flag_reaches_the_application(serving_stack):
    """`serve --body-limit 200000` raised only the gateway's limit: the application still
    answered 413 above 65,536 bytes. The limit now has one owner, fed by the flag."""
    server, proxy = serving_stack("unix", workers=1, threads=2, extra_args=["--body-limit", "200000"])
    headers = {"Content-Type": "application/json"}
    under = requests.post(proxy.url + "/api/anything", data=b"x" * 100_000, headers=headers, timeout=5)
    assert under.status_code == 404, under.text
    over = requests.post(proxy.url + "/api/anything", data=b"x" * 250_000, headers=headers, timeout=5)
    assert over.status_code == 413 and over.json()["error"]["message"].endswith("the limit is 200000")


def test_cors_preflight_and_headers_for_allowed_origins_only(serving_stack):
    app = "https://app.example.com"
    server, proxy = serving_stack("unix", workers=1, threads=2, env={"PRESIGND_CORS_ORIGINS": app, "PRESIGND_CORS_MAX_AGE": "600"})
    url = proxy.url + "/api/uploads/presign"
    preflight = requests.options(url, timeout=5, headers={
        "Origin": app, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 204, preflight.text
    assert preflight.headers["Access-Control-Allow-Origin"] == app
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST", "a literal path segment is not an {id}"
    assert preflight.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type, X-Requested-With"
    assert preflight.headers["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in preflight.headers, "bearer tokens need no credentials"

    other = requests.options(url, timeout=5, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert other.status_code == 403 and "Access-Control-Allow-Origin" not in other.headers
    assert other.json()["error"]["code"] == "origin_not_allowed"

    # An actual request from the app: the 401 carries the CORS headers, so the page can read it.
    denied = requests.get(proxy.url + "/api/documents", headers={"Origin": app}, timeout=5)
    assert denied.status_code == 401
    assert denied.headers["Access-Control-Allow-Origin"] == app
    assert "WWW-Authenticate" in denied.headers["Access-Control-Expose-Headers"]
    assert "Origin" in denied.headers["Vary"]
    foreign = requests.get(proxy.url + "/api/documents", headers={"Origin": "https://evil.example"}, timeout=5)
    assert foreign.status_code == 401 and "Access-Control-Allow-Origin" not in foreign.headers

    plain = requests.options(url, timeout=5)
    assert plain.status_code == 204 and plain.headers["Allow"] == "POST, OPTIONS"
    assert requests.options(proxy.url + "/api/nothing", timeout=5).status_code == 404
    assert "Access-Control-Allow-Origin" not in requests.get(proxy.url + "/healthz", headers={"Origin": app}, timeout=5).headers
