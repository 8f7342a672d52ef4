"""What the benchmark scripts share (not a benchmark itself): the token they send, wrk driven by
a bench/flows/ Lua script and the summary line it prints, CPU time of process trees from /proc,
and stopping whatever a script started.

Importing it puts the integration tests' harness (Tests/integration of this tree) on sys.path, so
that a script can `from harness... import ...` next; bench/floor.py puts its FLOOR_SOURCE tree's
in front afterwards. This module imports the harness only inside start_peers, when called."""
import os
import re
import resource
import subprocess
import sys
import time

import jwt

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
INTEGRATION = os.path.join(ROOT, "Tests", "integration")
if INTEGRATION not in sys.path:
    sys.path.insert(0, INTEGRATION)

SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
TICK = os.sysconf("SC_CLK_TCK")


def wrk_knobs(prefix, seconds=10, connections=16, workers=2, threads=8):
    """The knobs every wrk benchmark has, read from PREFIX_SECONDS (wrk's duration),
    PREFIX_CONNECTIONS (wrk's connections, and nginx's upstream keepalive), PREFIX_WORKERS and
    PREFIX_THREADS (presignd's); returns (seconds, connections, workers, threads)."""
    return tuple(int(os.environ.get(f"{prefix}_{name}", default)) for name, default in
                 (("SECONDS", seconds), ("CONNECTIONS", connections), ("WORKERS", workers), ("THREADS", threads)))


def token(user, lifetime=3600, secret=SECRET):
    """An HS256 token for `user`, valid for `lifetime` seconds."""
    return jwt.encode({"sub": user, "exp": int(time.time()) + lifetime}, secret, algorithm="HS256")


# --- wrk -----------------------------------------------------------------------------------------

def wrk_summary(out):
    """The FLOWS line a bench/flows/ script prints at the end of wrk's output: requests/s, p50 and
    p99 in ms, failed requests (non-2xx and socket errors) and the number of requests."""
    fields = dict(item.split("=") for item in re.search(r"FLOWS (.*)", out).group(1).split())
    done = int(fields["requests"])
    return {"rps": done / float(fields["seconds"]), "p50": float(fields["p50_ms"]), "p99": float(fields["p99_ms"]),
            "bad": int(fields["non2xx"]) + int(fields["socket_errors"]), "requests": done}


def run_wrk(url, script, env, connections, seconds, cpu=None):
    """wrk -t{min(2, connections)} -c{connections} -d{seconds}s with bench/flows/`script` against url
    (`env` on top of this process's environment); returns wrk_summary's figures. With `cpu`
    (anything whose sample() gives CPU seconds by name, such as CPU below) also "cpu_us": each
    name's CPU µs per request over the run."""
    before = cpu.sample() if cpu else None
    out = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", os.path.join(HERE, "flows", script), url],
                         env=dict(os.environ, **env), capture_output=True, text=True, check=True).stdout
    result = wrk_summary(out)
    if cpu:
        after = cpu.sample()
        result["cpu_us"] = {k: (after[k] - before[k]) * 1e6 / max(result["requests"], 1) for k in after}
    return result


# --- processes and CPU ---------------------------------------------------------------------------

def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def cpu_seconds(pids):
    """utime + stime of these processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / TICK


def pg_pid(pg):
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        return int(f.readline())


class CPU:
    """CPU seconds of presignd (each server's supervisor + workers), nginx (master + workers),
    PostgreSQL (postmaster + backends) and of finished children of this process (wrk)."""

    def __init__(self, servers, proxy, pg):
        servers = list(servers)
        self.server_pid = servers[0].pid
        self.groups = {
            "presignd": lambda: [p for s in servers for p in (s.pid, *children(s.pid))],
            "nginx": lambda: [proxy.process.pid, *children(proxy.process.pid)],
            "postgres": lambda: [pg_pid(pg), *children(pg_pid(pg))],
        }

    def sample(self):
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        sample = {name: cpu_seconds(pids()) for name, pids in self.groups.items()}
        sample["wrk"] = usage.ru_utime + usage.ru_stime
        return sample


# --- peers and stopping ------------------------------------------------------------------------------------

def start_peers(stopped):
    """A throwaway PostgreSQL cluster and a strict ministack S3 server (the integration tests'),
    each appended to `stopped` (a Stopping) to be stopped; returns (postgres, ministack)."""
    from harness import ministack
    from harness.postgres import PostgresCluster
    pg = PostgresCluster()
    stopped.append(pg.destroy)
    s3 = ministack.start()
    stopped.append(s3.stop)
    return pg, s3


class Stopping(list):
    """`with Stopping() as stopped:` ... `stopped.append(server.stop)`: on the way out every callable
    appended is called, last first; one that fails is reported on stderr and the rest still run."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for stop in reversed(self):
            try:
                stop()
            except Exception as error:  # keep stopping the rest
                print(f"stopping: {error}", file=sys.stderr)
