"""Issue 13, defect 2: 40 connections to presignd's socket that send BEGIN_REQUEST and half of
their PARAMS held every serving thread forever, and nginx's requests timed out with 504. A
request that has started must arrive in full within PRESIGND_READ_TIMEOUT seconds or its
connection is closed; idle kept-alive connections are not timed; others keep being served."""
import socket
import struct
import threading
import time

import requests

from harness import fastcgi_client

READ_TIMEOUT = 2


def stalled_connection(path):
    """BEGIN_REQUEST, then a PARAMS record that promises 64 bytes and sends 10."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(path)
    begin = fastcgi_client._record(fastcgi_client.BEGIN_REQUEST, struct.pack("!HB5x", 1, 1))
    partial = struct.pack("!BBHHBx", 1, fastcgi_client.PARAMS, 1, 64, 0) + b"\x0eREQUEST_ME"
    sock.sendall(begin + partial)
    return sock


def test_regression_stalled_requests_are_closed_and_others_still_served(serving_stack):
    # 8 serving threads, nginx keeping at most 4 idle connections (README: threads above keepalive).
    server, proxy = serving_stack("unix", nginx_keepalive=4, workers=2, threads=4,
                                  env={"PRESIGND_READ_TIMEOUT": str(READ_TIMEOUT)})
    path = str(server.socket_path)
    session = requests.Session()
    assert session.get(proxy.url + "/healthz", timeout=5).status_code == 200  # one kept-alive connection
    attackers = [stalled_connection(path) for _ in range(40)]  # 5x the 8 serving threads
    started = time.monotonic()
    results, closed_after, kept_latencies = [], [], []

    def client():
        try:
            r = requests.get(proxy.url + "/healthz", headers={"Connection": "close"}, timeout=40)
            results.append((r.status_code, time.monotonic() - started))
        except requests.RequestException as error:
            results.append((repr(error), time.monotonic() - started))

    clients = [threading.Thread(target=client) for _ in range(8)]
    for c in clients:
        c.start()
    # Meanwhile nginx's kept-alive connection is served at once: its thread is not an attacker's.
    for _ in range(20):
        t = time.monotonic()
        assert session.get(proxy.url + "/healthz", timeout=40).status_code == 200
        kept_latencies.append(time.monotonic() - t)

    def closed(sock):
        try:
            return sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    for sock in attackers:
        assert closed(sock), "a stalled connection must be closed by presignd"
        closed_after.append(time.monotonic() - started)
        sock.close()
    for c in clients:
        c.join()
    assert [r for r, _ in results] == [200] * 8, results
    # Most of them at once; one may wait a round when nginx opens a fresh upstream connection for
    # it (the upstream pool is shared with the eight clients), which queues behind the stalled ones.
    assert sorted(kept_latencies)[len(kept_latencies) // 2] < 1.0, kept_latencies
    assert max(kept_latencies) < 6 * READ_TIMEOUT + 5, kept_latencies
    # 40 stalled connections over at most 8 threads, READ_TIMEOUT each: about 5 rounds.
    assert max(closed_after) < 6 * READ_TIMEOUT + 5, closed_after
    assert max(t for _, t in results) < 6 * READ_TIMEOUT + 5, results
    assert "whose request did not arrive within 2 s" in server.log()
    assert server.stop() == 0


def test_idle_kept_alive_connection_is_not_timed_out(serving_stack):
    server, _ = serving_stack("unix", workers=1, threads=2, env={"PRESIGND_READ_TIMEOUT": str(READ_TIMEOUT)})
    params = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz", "SCRIPT_NAME": "/healthz"}
    raw, kept = fastcgi_client.request(str(server.socket_path), params, keep_conn=True)
    assert b"200" in raw.split(b"\r\n")[0] or b'"status":"ok"' in raw
    time.sleep(READ_TIMEOUT + 1.5)  # idle between requests: longer than the read timeout
    raw, kept = fastcgi_client.request(None, params, keep_conn=True, sock=kept)
    assert b'"status":"ok"' in raw
    kept.close()
    assert "did not arrive" not in server.log()
    assert server.stop() == 0
