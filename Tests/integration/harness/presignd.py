"""presignd started the ways it runs in production: `serve --listen` on a unix socket or TCP,
from spawn-fcgi (socket on fd 0), by a systemd-style launcher (socket on fd 3 with LISTEN_FDS),
or as a CGI program (under fcgiwrap or run directly). Stopped by PID; exit status checked."""
import os
import pathlib
import signal
import subprocess
import sys
import time

from .nginx import free_port, wait_for_listener

HERE = pathlib.Path(__file__).resolve().parent


def binary():
    path = os.environ.get("PRESIGND_BINARY")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set PRESIGND_BINARY to the built presignd (deploy/test.sh does)")
    return path


# A minimal valid product configuration, so presignd starts; nothing is contacted until a
# route needs it (PostgreSQL connects lazily, signing is local). Tests override what they use.
MINIMAL_CONFIG = {
    "PRESIGND_JWT_HS256_SECRET": "serving-tests-secret-0123456789abcdef",
    "PRESIGND_BUCKET": "serving-tests",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "DATABASE_URL": "postgresql://presignd@127.0.0.1:1/presignd",
}


class Presignd:
    MODES = ("unix", "tcp", "spawn-fcgi", "systemd", "fcgiwrap")

    def __init__(self, workdir, mode="unix", workers=2, threads=4, env=None, drain_timeout=10, extra_args=()):
        assert mode in self.MODES
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.mode = mode
        self.workers = workers
        self.threads = threads
        self.extra_args = list(extra_args)  # more `serve` flags (unix and tcp modes)
        self.socket_path = self.workdir / "presignd.sock"
        self.port = None
        self.process = None
        self.log_path = self.workdir / "presignd.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PRESIGND_WORKERS": str(workers),
            "PRESIGND_THREADS": str(threads),
            "PRESIGND_DRAIN_TIMEOUT": str(drain_timeout),
            "PRESIGND_TEST_DELAY": "1",
            **MINIMAL_CONFIG,
        }
        self.env.update(env or {})

    @property
    def upstream(self):
        return f"127.0.0.1:{self.port}" if self.mode == "tcp" else f"unix:{self.socket_path}"

    def command(self):
        exe = binary()
        if self.mode == "unix":
            return [exe, "serve", "--listen", str(self.socket_path), "--socket-mode", "0660", *self.extra_args]
        if self.mode == "tcp":
            self.port = free_port()
            return [exe, "serve", "--listen", f"127.0.0.1:{self.port}", *self.extra_args]
        if self.mode == "spawn-fcgi":
            # -n: spawn-fcgi binds the socket, puts it on fd 0 and execs presignd in place.
            return ["spawn-fcgi", "-n", "-s", str(self.socket_path), "-M", "0660", "--", exe]
        if self.mode == "systemd":
            return [sys.executable, str(HERE / "systemd_launcher.py"), str(self.socket_path), exe]
        # CGI: fcgiwrap runs presignd once per request, as SCRIPT_FILENAME says.
        return ["fcgiwrap", "-c", str(self.workers), "-s", f"unix:{self.socket_path}"]

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), env=self.env, stdout=log, stderr=log, cwd=self.workdir)
        wait_for_listener(self.upstream, process=self.process)
        if self.mode != "fcgiwrap":
            self.wait_for_workers(self.workers)
        return self

    @property
    def pid(self):
        return self.process.pid

    def worker_pids(self):
        try:
            text = pathlib.Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(p) for p in text.split()]

    def wait_for_workers(self, count, exclude=(), timeout=10.0):
        """Waits until `count` workers run, none of them in `exclude`; returns their pids."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = [p for p in self.worker_pids() if p not in exclude]
            if len(pids) == count and len(self.worker_pids()) == count:
                return pids
            time.sleep(0.05)
        raise TimeoutError(f"expected {count} workers, have {self.worker_pids()}")

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, signo):
        self.process.send_signal(signo)

    def stop(self, timeout=20):
        """SIGTERM, wait, return the exit status."""
        if self.process is None:
            return None
        children = self.worker_pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
        # fcgiwrap's pre-forked children outlive their parent's SIGTERM; no test may leave
        # a process behind, so any child still running now is ended here.
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.process.returncode

    def kill(self):
        """Last resort for a finalizer: SIGKILL the supervisor and its workers."""
        if self.process is None or self.process.poll() is not None:
            return
        children = self.worker_pids()
        self.process.kill()
        self.process.wait()
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def run_cgi(env, body=b"", timeout=10):
    """Runs presignd once as a CGI program; returns (status, headers, body, seconds)."""
    base = {"PATH": os.environ.get("PATH", ""), "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", **MINIMAL_CONFIG}
    base.update(env)
    started = time.perf_counter()
    result = subprocess.run([binary()], env=base, input=body, capture_output=True, timeout=timeout)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return parse_cgi_response(result.stdout) + (elapsed,)


def parse_cgi_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(headers.pop("status").split()[0])
    return status, headers, body
