"""A JWKS URL served by a loopback HTTP server this test starts: the long-lived
`presignd jwt verify --repeat` picks up a rotated key without restart, refetches for unknown
`kid`s at most once per refresh interval, keeps the last good keys when the provider is down,
and gives up on a provider that never answers within the configured timeout."""
import json
import os
import queue
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import get_default_algorithms

from harness.common import make_token

BINARY = os.environ.get("PRESIGND_BINARY", ".build/release/presignd")
KEYS = {
    "k1": ("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    "k2": ("ES256", ec.generate_private_key(ec.SECP256R1())),
    "k3": ("ES256", ec.generate_private_key(ec.SECP256R1())),
}


def jwk(kid):
    alg, key = KEYS[kid]
    entry = json.loads(get_default_algorithms()[alg].to_jwk(key.public_key()))
    entry.update({"kid": kid, "alg": alg, "use": "sig"})
    return entry


def token(kid, sub="user-7"):
    """A token signed with the key `kid` names (RS256 or ES256, no iat)."""
    alg, key = KEYS[kid]
    return make_token(sub, secret=key, algorithm=alg, headers={"kid": kid}, iat=None)


class Provider:
    """A JWKS endpoint whose key list the test changes, counting the fetches it serves."""

    def __init__(self):
        self.kids = ["k1"]
        self.fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                provider.fetches += 1
                body = json.dumps({"keys": [jwk(kid) for kid in provider.kids]}).encode()
                self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Verifier:
    """One long-lived `presignd jwt verify --repeat`: a token in, an answer line out."""

    def __init__(self, env):
        self.process = subprocess.Popen([BINARY, "jwt", "verify", "--repeat"], env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line.rstrip("\n")) for line in self.process.stdout],
                         daemon=True).start()

    def ask(self, token, timeout=10):
        self.process.stdin.write(token + "\n")
        self.process.stdin.flush()
        return self.lines.get(timeout=timeout)

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        return self.process.stderr.read()


@pytest.fixture
def provider():
    server = Provider()
    yield server
    server.stop()


def start(url, timeout_ms=1000):
    return Verifier({"PATH": os.environ.get("PATH", ""), "PRESIGND_JWT_JWKS_URL": url,
                     "PRESIGND_JWT_JWKS_REFRESH_INTERVAL": "1", "PRESIGND_JWT_JWKS_TIMEOUT_MS": str(timeout_ms)})


@pytest.fixture
def verifiers():
    started = []
    yield lambda url, **kw: started.append(start(url, **kw)) or started[-1]
    for verifier in started:
        verifier.close()


UNKNOWN_KID = '401 Bearer error="invalid_token", error_description="no key has the token\'s kid"'


def test_rotation_is_picked_up_and_an_outage_keeps_the_last_good_keys(provider, verifiers):
    verifier = verifiers(provider.url)
    assert verifier.ask(token("k1")) == "ok user-7"
    assert provider.fetches == 1

    # Unknown kids (forged or not yet published) trigger at most one fetch per interval.
    time.sleep(1.1)
    answers = [verifier.ask(token("k3")) for _ in range(5)]
    assert answers == [UNKNOWN_KID] * 5
    assert provider.fetches == 2

    # The provider rotates: k2 appears. After the interval, the next k2 token fetches and verifies.
    provider.kids = ["k1", "k2"]
    time.sleep(1.1)
    assert verifier.ask(token("k2")) == "ok user-7"
    assert provider.fetches == 3
    assert verifier.ask(token("k1", sub="again")) == "ok again"
    assert provider.fetches == 3, "known kids are served from the cache"

    # The provider goes down: the keys already loaded keep working; unknown kids are refused.
    provider.stop()
    time.sleep(1.1)
    started = time.monotonic()
    assert verifier.ask(token("k3")) == UNKNOWN_KID
    assert time.monotonic() - started < 3
    assert verifier.ask(token("k2")) == "ok user-7"
    assert verifier.ask(token("k1")) == "ok user-7"
    log = verifier.close()
    assert "JWKS refresh failed" in log and "keeping the 2 keys from the last good fetch" in log
    assert token("k2").split(".")[2] not in log


def test_a_provider_that_never_answers_is_given_up_on_within_the_timeout(verifiers):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections into the backlog, never responds
    try:
        verifier = verifiers(f"http://127.0.0.1:{silent.getsockname()[1]}/jwks", timeout_ms=500)
        started = time.monotonic()
        answer = verifier.ask(token("k1"))
        elapsed = time.monotonic() - started
        assert answer.startswith("503 "), answer
        assert elapsed < 3, elapsed
    finally:
        silent.close()


def test_a_bad_provider_document_is_not_trusted(provider, verifiers):
    provider.kids = []
    verifier = verifiers(provider.url)
    assert verifier.ask(token("k1")).startswith("503 ")
    log = verifier.close()
    assert "JWKS refresh failed" in log and "no usable signature key" in log
