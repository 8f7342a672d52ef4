"""Shared pytest fixtures for presignd's integration tests. Logic lives in harness/ (the stack in
harness/stack.py, shared constants and helpers in harness/common.py); each fixture stops exactly
the processes it started."""
import contextlib
import itertools
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from harness import ceph_rgw as _ceph_rgw  # noqa: E402
from harness import ministack as _ministack  # noqa: E402
from harness.counting_proxy import CountingProxy  # noqa: E402
from harness.common import (API, BINARY, CDN_DOMAIN, JWT_SECRET, KEY_PAIR_ID, LOG_SECRET_PATTERNS,  # noqa: E402
                            PURPOSES)
from harness.postgres import PostgresCluster  # noqa: E402
from harness.stack import migrate, running_stack, stack_env  # noqa: E402


@pytest.fixture(scope="session")
def ministack():
    """A strict S3 server (ministack, AUTH=true) with an IAM user's key and a bucket."""
    stack = _ministack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def proxy(ministack):
    """A counting proxy in front of ministack (harness/counting_proxy.py), for a module whose
    presignd and browser reach the store through it: every request and the bytes it carried."""
    counting = CountingProxy(ministack.endpoint)
    yield counting
    counting.stop()


@pytest.fixture(scope="session")
def ceph_rgw():
    """Ceph RGW 16 (Debian 12's radosgw, harness/ceph_rgw.py), the second real S3 implementation:
    an S3 user's key and a bucket, the same surface as `ministack`. It fails, never skips, when
    its packages cannot be fetched: a skip would hide the peer in CI."""
    peer = _ceph_rgw.start()
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster for the module: each module starts from an empty database
    (tests count audit rows, documents and usage of their own module)."""
    cluster = PostgresCluster()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def cloudfront_key(tmp_path_factory):
    """An RSA CloudFront key: (private key, path of its PKCS#8 PEM file)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("cloudfront") / "private.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.chmod(path, 0o644)
    return key, str(path)


@pytest.fixture(scope="module")
def flows_env(postgres, ministack, cloudfront_key):
    """presignd's environment for the product's flows (harness/common.py's PURPOSES, JWT_SECRET
    and CDN), on the module's database, migrated."""
    env = stack_env(
        postgres, ministack, PURPOSES, JWT_SECRET,
        PRESIGND_CDN_DOMAIN=CDN_DOMAIN,
        PRESIGND_CDN_PATH_PATTERN="/avatars/*",
        PRESIGND_CDN_COOKIE_DOMAIN=".app.test",
        PRESIGND_CLOUDFRONT_KEY_PAIR_ID=KEY_PAIR_ID,
        PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=cloudfront_key[1],
        PGCONNECT_TIMEOUT="2",
    )
    out = migrate(env)
    assert "applied 1" in out.stdout
    # Running again (as every deploy does) changes nothing.
    again = subprocess.run([BINARY, "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "schema is current" in again.stdout
    return env


@pytest.fixture(scope="module")
def module_stack(postgres, tmp_path_factory):
    """Factory for the module: `module_stack(name, env, workers=2, threads=4, **options)` starts
    presignd on a unix socket and a real nginx in front of it under a fresh directory `name`
    (options: harness/stack.py's start_stack); returns (presignd, nginx). Everything it started
    is stopped at the module's end, before the module's PostgreSQL cluster (it depends on it)."""
    with contextlib.ExitStack() as started:
        yield lambda name, env, **options: started.enter_context(
            running_stack(tmp_path_factory.mktemp(name), env, **options))


@pytest.fixture(scope="module")
def api(flows_env, module_stack):
    """The flows stack: presignd (2 workers x 4 threads on a unix socket) behind a real nginx,
    called through harness/common.py's API. A module with another configuration defines its own."""
    _, proxy = module_stack("flows-stack", flows_env, workers=2, threads=4)
    return API(proxy.url)


@pytest.fixture
def serving_stack(tmp_path):
    """Factory: `serving_stack(mode, **presignd_options)` starts presignd in that mode and a
    real nginx in front of it; returns (presignd, nginx). Both are stopped at teardown."""
    with contextlib.ExitStack() as started:
        count = itertools.count()

        def start(mode="unix", nginx_keepalive=16, **options):
            return started.enter_context(running_stack(tmp_path / f"stack-{next(count)}", mode=mode,
                                                       keepalive=nginx_keepalive, **options))
        yield start


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_log(tmp_path_factory):
    """After the whole suite: no log that presignd or nginx wrote under pytest's temporary
    directory holds a presigned URL's signature, a CloudFront signature, a JWT or a bearer token
    (test_faults.py also checks its own secrets by value; this covers every module's logs)."""
    yield
    patterns = LOG_SECRET_PATTERNS
    logs = [p for p in tmp_path_factory.getbasetemp().rglob("*.log") if p.is_file()]
    found = []
    for path in logs:
        text = path.read_text(errors="replace")
        found += [f"{name} in {path}" for name, pattern in patterns.items() if pattern.search(text)]
    assert found == [], found[:10]
