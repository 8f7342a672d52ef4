"""Shared pytest fixtures for presignd's integration tests. Logic lives in harness/; each
fixture stops exactly the processes it started."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from harness import ministack as _ministack  # noqa: E402
from harness.nginx import Nginx  # noqa: E402
from harness.presignd import Presignd  # noqa: E402


@pytest.fixture(scope="session")
def ministack():
    """A strict S3 server (ministack, AUTH=true) with an IAM user's key and a bucket."""
    stack = _ministack.start()
    yield stack
    stack.stop()


@pytest.fixture
def serving_stack(tmp_path):
    """Factory: `serving_stack(mode, **presignd_options)` starts presignd in that mode and a
    real nginx in front of it; returns (presignd, nginx). Both are stopped at teardown."""
    started = []

    def start(mode="unix", nginx_keepalive=16, **options):
        server = Presignd(tmp_path / f"presignd-{len(started)}", mode=mode, **options)
        started.append(server)
        server.start()
        extra = ""
        if mode == "fcgiwrap":
            from harness.presignd import binary
            extra = f"    fastcgi_param SCRIPT_FILENAME {binary()};"
        proxy = Nginx(tmp_path / f"nginx-{len(started)}", server.upstream,
                      keepalive=0 if mode == "fcgiwrap" else nginx_keepalive, extra_location_lines=extra)
        started.append(proxy)
        proxy.start()
        return server, proxy

    yield start
    for process in reversed(started):
        if isinstance(process, Presignd):
            try:
                process.stop(timeout=20)
            finally:
                process.kill()
        else:
            process.stop()


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_log(tmp_path_factory):
    """After the whole suite: no log that presignd or nginx wrote under pytest's temporary
    directory holds a presigned URL's signature, a CloudFront signature, a JWT or a bearer token
    (test_faults.py also checks its own secrets by value; this covers every module's logs)."""
    yield
    import re
    patterns = {
        "an X-Amz-Signature value": re.compile(r"X-Amz-Signature=[0-9a-f]{16}", re.I),
        "a CloudFront signature": re.compile(r"CloudFront-Signature=[A-Za-z0-9~_-]{16}"),
        "a JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        "a bearer token": re.compile(r"Bearer [A-Za-z0-9_-]{20,}"),
    }
    logs = [p for p in tmp_path_factory.getbasetemp().rglob("*.log") if p.is_file()]
    found = []
    for path in logs:
        text = path.read_text(errors="replace")
        found += [f"{name} in {path}" for name, pattern in patterns.items() if pattern.search(text)]
    assert found == [], found[:10]
