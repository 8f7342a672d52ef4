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
