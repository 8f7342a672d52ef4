"""The product stack as the integration tests run it: presignd's environment for a PostgreSQL
cluster and a ministack store, `presignd migrate`, and presignd behind a real nginx, started and
stopped together (conftest.py's fixtures are thin wrappers around these)."""
import contextlib
import json
import pathlib
import subprocess

from .nginx import Nginx
from .presignd import Presignd, binary


def stack_env(postgres, store, purposes, secret, **extra):
    """presignd's environment for `postgres` (a PostgresCluster) and `store` (a ministack):
    the store's IAM key, path-style addressing, its bucket, these purposes (None: presignd's
    default ones) and HS256 secret; `extra` adds or replaces variables."""
    env = store.env()
    env.update(postgres.env)
    env.update(AWS_ENDPOINT_URL_S3=store.endpoint, PRESIGND_S3_ADDRESSING="path", PRESIGND_BUCKET=store.bucket,
               PRESIGND_JWT_HS256_SECRET=secret)
    if purposes is not None:
        env["PRESIGND_PURPOSES"] = json.dumps(purposes)
    env.update(extra)
    return env


def migrate(env):
    """`presignd migrate` with env, which must succeed; returns the completed process."""
    out = subprocess.run([binary(), "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out


def start_stack(root, env=None, mode="unix", workers=2, threads=4, keepalive=16, extra_server_lines="",
                extra_http_lines="", **presignd_options):
    """presignd in `mode` under root/presignd and a real nginx in front of it under root/nginx;
    returns (presignd, nginx). Whatever started is stopped again when a start fails."""
    root = pathlib.Path(root)
    server = Presignd(root / "presignd", mode=mode, workers=workers, threads=threads, env=env, **presignd_options)
    proxy = None
    try:
        server.start()
        extra = ""
        if mode == "fcgiwrap":
            extra = f"    fastcgi_param SCRIPT_FILENAME {binary()};"
        proxy = Nginx(root / "nginx", server.upstream, keepalive=0 if mode == "fcgiwrap" else keepalive,
                      extra_location_lines=extra, extra_server_lines=extra_server_lines, extra_http_lines=extra_http_lines)
        proxy.start()
    except BaseException:
        stop_stack(server, proxy)
        raise
    return server, proxy


def stop_stack(server, proxy):
    """Stops nginx, then presignd (SIGTERM, then SIGKILL for whatever is left), by PID."""
    try:
        if proxy is not None:
            proxy.stop()
    finally:
        try:
            server.stop(timeout=20)
        finally:
            server.kill()


@contextlib.contextmanager
def running_stack(root, env=None, **options):
    """start_stack as a context: yields (presignd, nginx), stops both on the way out."""
    server, proxy = start_stack(root, env, **options)
    try:
        yield server, proxy
    finally:
        stop_stack(server, proxy)
