"""Write routes against a C floor (issue 12), not a test. One throwaway PostgreSQL 15
(synchronous_commit=on, pg_stat_statements preloaded), one nginx (1 worker), and behind it over
unix sockets with kept-alive connections: presignd (FLOOR_WORKERS x FLOOR_THREADS) and the floor
(bench/floor.c, FLOOR_PROCESSES x FLOOR_THREADS, one libpq connection per thread), plus the
single-threaded C hello (bench/c-fastcgi-hello.c, 2 processes, no keep-alive: it would stall).

1. A/B rounds: for POST /api/uploads/presign, GET /api/documents/{id}/download and
   POST /api/auth/cdn-cookies, wrk against presignd and the floor in turn, and GET /healthz against
   presignd, the C hello and the floor; odd rounds presignd first, even rounds presignd last.
   req/s, p50/p99 and CPU per request of the server, nginx, PostgreSQL and wrk (/proc utime+stime of
   each process tree, before and after each run, including reaped children), medians over rounds,
   and presignd/floor ratios (median of the per-round ratios).
2. PostgreSQL diagnosis: per route and server, pg_stat_statements (track_planning on),
   pg_stat_database and pg_stat_wal over one wrk run: statements, transactions, transaction ids
   and WAL flushes per request, plans per call, execution and planning time; the statement log
   (log_min_duration_statement=0) of a few requests; the floor running presignd's own statements
   (FLOOR_STATEMENTS=presignd) against the floor's, A/B, which separates the statements' cost from
   everything else; and presignd against the floor burning presignd's extra CPU per request
   (FLOOR_BURN_*_US, from the rounds), A/B, which runs both at about the same rate.
3. FLOOR_PROFILE=DIR: instead of 1 and 2, presignd (1 worker x 2 threads) and the floor (1 x 2)
   under `valgrind --tool=callgrind`, sequential requests per route through nginx (kept-alive),
   twice: 100 warm-up requests, and 100 + FLOOR_PROFILE_REQUESTS; the difference per request goes
   into DIR per function (ROUTE-SERVER.exclusive.txt, .inclusive.txt) and as a call tree
   (ROUTE-SERVER.tree.txt), Swift names demangled; instructions per request to stdout.
4. FLOOR_KERNEL=1: instead of 1 and 2, per request and server, context switches, page faults and
   migrations (perf stat) and system calls (strace -c).

Knobs: FLOOR_ROUNDS (5; 0: the diagnosis alone), FLOOR_SECONDS (10), FLOOR_CONNECTIONS (16),
FLOOR_WORKERS (2), FLOOR_THREADS (8), FLOOR_PROCESSES (2), FLOOR_ROUTES (presign,download,cdn,healthz),
FLOOR_DIAG (1: run part 2), FLOOR_DIAG_SECONDS (5), FLOOR_DIAG_ROUNDS (3), FLOOR_PROFILE,
FLOOR_PROFILE_REQUESTS (2000), FLOOR_KERNEL. Binaries: PRESIGND_BINARY, FLOOR_BINARY, HELLO_BINARY
(bench/floor.sh sets them).
"""
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The tree presignd was built from (bench/floor.sh exports a commit): its harness, and with it its
# nginx snippets (the harness's Nginx reads them from its own tree), go with it.
SOURCE = os.environ.get("FLOOR_SOURCE", ROOT)
COMMIT = os.environ.get("FLOOR_COMMIT", "worktree")
from common import SECRET, children, run_wrk, token as bench_token, wrk_knobs  # noqa: E402  (puts this tree's harness on sys.path …)
sys.path.insert(0, os.path.join(SOURCE, "Tests", "integration"))  # … and SOURCE's goes in front of it

import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from harness import fastcgi_client  # noqa: E402
from harness.nginx import Nginx, free_port, wait_for_port  # noqa: E402
from harness.postgres import PostgresCluster  # noqa: E402
from harness.presignd import Presignd  # noqa: E402

ROUNDS = int(os.environ.get("FLOOR_ROUNDS", "5"))
SECONDS, CONNECTIONS, WORKERS, THREADS = wrk_knobs("FLOOR")
PROCESSES = int(os.environ.get("FLOOR_PROCESSES", "2"))
ROUTES = os.environ.get("FLOOR_ROUTES", "presign,download,cdn,healthz").split(",")
DIAG = os.environ.get("FLOOR_DIAG", "1") == "1"
DIAG_SECONDS = int(os.environ.get("FLOOR_DIAG_SECONDS", "5"))
DIAG_ROUNDS = int(os.environ.get("FLOOR_DIAG_ROUNDS", "3"))
PROFILE = os.environ.get("FLOOR_PROFILE")
PROFILE_REQUESTS = int(os.environ.get("FLOOR_PROFILE_REQUESTS", "2000"))
# More of presignd's environment, as JSON (e.g. '{"PRESIGND_EVENTS": "on"}': the write path with events).
PRESIGND_ENV = json.loads(os.environ.get("FLOOR_PRESIGND_ENV", "{}"))
USER = "bench-user"
CDN_DOMAIN = "cdn.bench.test"
PRESIGN_BODY = {"purpose": "document", "fileName": "bench.pdf", "contentType": "application/pdf", "fileSize": 4}
TICK = os.sysconf("SC_CLK_TCK")


def token(user=USER):
    return bench_token(user, lifetime=7200)


# --- processes and CPU -------------------------------------------------------------------------

def tree(pid):
    out = [pid]
    for child in children(pid):
        out += tree(child)
    return out


def cpu_seconds(roots):
    """(utime + stime, stime) of every process in these trees (all threads), plus the cutime +
    cstime of each (children that ended and were reaped, e.g. PostgreSQL's autovacuum workers)."""
    total = system = 0
    for root in roots:
        for pid in tree(root):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
                system += int(fields[12]) + int(fields[14])
            except (FileNotFoundError, ProcessLookupError):
                pass
    return total / TICK, system / TICK


class PostgresWithStatements(PostgresCluster):
    """The integration tests' throwaway cluster, with pg_stat_statements preloaded and
    synchronous_commit=on spelled out (it is the default). `settings` ({name: value}) come after
    these on every start and may replace them (bench/scale.py: planning tracked, more memory). It
    starts the server itself, so it runs on the harness of any commit FLOOR_REV measures."""

    def __init__(self, settings=None):
        self.extra_settings = dict(settings or {})
        super().__init__()

    def start(self):
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200 -c shared_buffers=32MB -c synchronous_commit=on "
                   "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top "
                   "-c pg_stat_statements.track_planning=off")
        options += "".join(" -c " + shlex.quote(f"{name}={value}") for name, value in self.extra_settings.items())
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "30", "start")

    @property
    def pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def set(self, name, value):
        """ALTER SYSTEM + reload: every backend picks the setting up before its next statement."""
        self.psql(f"ALTER SYSTEM SET {name} = {value}" if value is not None else f"ALTER SYSTEM RESET {name}")
        self.psql("SELECT pg_reload_conf()")
        time.sleep(0.5)


def listening_socket(path):
    """A FastCGI listening socket for programs that take it on fd 0 (as spawn-fcgi hands it)."""
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    sock.listen(1024)
    return sock


def start_on_socket(command, path, count, env, log):
    sock = listening_socket(path)
    procs = [subprocess.Popen(command, stdin=sock.fileno(), stdout=log, stderr=log, env=env) for _ in range(count)]
    sock.close()
    return procs


def stop_all(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class Proxy(Nginx):
    """The harness's nginx (1 worker, nginx/example-server.conf rendered) in front of the first
    upstream, plus a server per other upstream on a port of its own: nginx/presignd.conf's
    locations repeated with that upstream. Started, and stopped by PID, as the harness's."""

    def __init__(self, prefix, upstreams):
        (self.first, upstream, keepalive), *self.others = upstreams  # [(name, "unix:/path", keepalive or 0)]
        super().__init__(prefix, upstream, keepalive=keepalive, workers=1)
        self.ports = {}

    def write_config(self):
        self.ports = {name: free_port() for name, _, _ in self.others}
        self.extra_http_lines = "".join(
            f"    upstream {name} {{\n        server {upstream};\n"
            f"        {f'keepalive {keepalive};' if keepalive else ''}\n    }}\n"
            f"    server {{\n        listen 127.0.0.1:{self.ports[name]};\n        include {name}.conf;\n    }}\n"
            for name, upstream, keepalive in self.others)
        path = super().write_config()
        self.ports[self.first] = self.port
        snippet = (self.prefix / "conf" / "presignd.conf").read_text()
        assert "fastcgi_pass presignd;" in snippet
        for name, _, _ in self.others:
            (self.prefix / "conf" / f"{name}.conf").write_text(
                snippet.replace("fastcgi_pass presignd;", f"fastcgi_pass {name};").replace("@presignd_", f"@{name}_"))
        return path

    def start(self):
        super().start()
        for port in self.ports.values():
            wait_for_port(port, process=self.process)
        return self

    def url(self, name):  # by upstream name (the harness's Nginx has one url)
        return f"http://127.0.0.1:{self.ports[name]}"


def wait_for_healthz(base, what, limit=10, timeout=30, pause=0.2):
    """Polls base + "/healthz" every `pause` seconds until it answers 200 (each request may take
    `timeout` seconds); after `limit` seconds, RuntimeError: `what` does not answer /healthz."""
    deadline = time.monotonic() + limit
    while True:
        try:
            if requests.get(base + "/healthz", timeout=timeout).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} does not answer /healthz")
        time.sleep(pause)


# --- the stack ---------------------------------------------------------------------------------

def fastcgi_params(method, uri, body=b"", auth=True):
    params = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "DOCUMENT_URI": uri.split("?")[0], "QUERY_STRING": "",
              "SCRIPT_NAME": uri.split("?")[0], "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1",
              "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000", "SERVER_ADDR": "127.0.0.1", "SERVER_PORT": "8080",
              "SERVER_NAME": "localhost", "HTTP_HOST": "127.0.0.1:8080"}
    if auth:
        params["HTTP_AUTHORIZATION"] = "Bearer " + token()
    if body:
        params.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)), HTTP_CONTENT_TYPE="application/json",
                      HTTP_CONTENT_LENGTH=str(len(body)))
    return params


def answer_of(socket_path, method, uri, body=b"", auth=True):
    """presignd's whole FastCGI answer (CGI headers and body) to one request, sent straight to its socket."""
    out, _ = fastcgi_client.request(socket_path, fastcgi_params(method, uri, body, auth), body)
    status = out.split(b"\r\n", 1)[0]
    assert status.startswith(b"Status: 20"), out[:300]
    return out


class Stack:
    def __init__(self, work, presignd_workers, presignd_threads, floor_processes, floor_threads, profiling=False):
        self.work = work
        self.pg = PostgresWithStatements()
        self.server = self.proxy = None
        self.floors = {}
        self.hello = []
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_path = os.path.join(work, "cloudfront.pem")
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        self.env = dict(self.pg.env, PRESIGND_JWT_HS256_SECRET=SECRET, PRESIGND_CDN_DOMAIN=CDN_DOMAIN,
                        PRESIGND_CDN_COOKIE_DOMAIN=".bench.test", PRESIGND_CLOUDFRONT_KEY_PAIR_ID="K2JCJMDEHXQW5F",
                        PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=key_path, PRESIGND_TEST_DELAY="0", **PRESIGND_ENV)
        migrate_env = dict(os.environ, **self.env)
        subprocess.run([os.environ["PRESIGND_BINARY"], "migrate"], env=migrate_env, check=True, capture_output=True)
        self.pg.psql("CREATE EXTENSION pg_stat_statements")

        self.presignd_socket = os.path.join(work, "presignd", "presignd.sock")
        self.server = Presignd(os.path.join(work, "presignd"), mode="unix", workers=presignd_workers,
                               threads=presignd_threads, env=self.env).start()
        self.presignd_pid = self.server.pid
        self.presignd_env = self.server.env

        # One ready document (presign, then the state confirm would leave), and presignd's answers.
        body = json.dumps(PRESIGN_BODY).encode()
        self.answers = {"presign": answer_of(self.presignd_socket, "POST", "/api/uploads/presign", body)}
        presigned = json.loads(self.answers["presign"].split(b"\r\n\r\n", 1)[1])
        self.document = presigned["fileId"]
        self.key = presigned["key"]
        self.pg.psql(f"UPDATE documents SET status = 'ready', actual_size = 4, actual_type = 'application/pdf' "
                     f"WHERE id = '{self.document}'")
        self.answers["download"] = answer_of(self.presignd_socket, "GET", f"/api/documents/{self.document}/download")
        self.answers["cdn"] = answer_of(self.presignd_socket, "POST", "/api/auth/cdn-cookies", b"{}")
        self.answers["healthz"] = answer_of(self.presignd_socket, "GET", "/healthz", auth=False)
        for name, data in self.answers.items():
            with open(os.path.join(work, f"answer-{name}"), "wb") as f:
                f.write(data)

        log = open(os.path.join(work, "floor.log"), "ab")
        prefix, suffix = self.key.split(self.document)
        self.floor_env = dict(os.environ, DATABASE_URL=self.pg.url, FLOOR_THREADS=str(floor_threads), FLOOR_SECRET=SECRET,
                              FLOOR_USER=USER, FLOOR_KEY_PREFIX=prefix, FLOOR_KEY_SUFFIX=suffix,
                              FLOOR_PURPOSE=PRESIGN_BODY["purpose"], FLOOR_FILE_NAME=PRESIGN_BODY["fileName"],
                              FLOOR_CONTENT_TYPE=PRESIGN_BODY["contentType"], FLOOR_FILE_SIZE=str(PRESIGN_BODY["fileSize"]),
                              FLOOR_CDN_RESOURCE=f"cdn:{CDN_DOMAIN}",
                              **{f"FLOOR_ANSWER_{n.upper()}": os.path.join(work, f"answer-{n}") for n in self.answers})
        command = [os.environ["FLOOR_BINARY"]]
        self.floors["floor"] = start_on_socket(command, os.path.join(work, "floor.sock"), floor_processes, self.floor_env, log)
        upstreams = [("presignd", f"unix:{self.presignd_socket}", CONNECTIONS), ("floor", f"unix:{work}/floor.sock", CONNECTIONS)]
        if profiling:
            # The servers under valgrind, started and stopped per run on these sockets.
            upstreams += [("vgpresignd", f"unix:{work}/vg-presignd.sock", CONNECTIONS), ("vgfloor", f"unix:{work}/vg-floor.sock", CONNECTIONS)]
        else:
            self.floors["floorsql"] = start_on_socket(command, os.path.join(work, "floorsql.sock"), floor_processes,
                                                      dict(self.floor_env, FLOOR_STATEMENTS="presignd"), log)
            self.hello = start_on_socket([os.environ["HELLO_BINARY"]], os.path.join(work, "hello.sock"), 2, None, log)
            upstreams += [("floorsql", f"unix:{work}/floorsql.sock", CONNECTIONS), ("hello", f"unix:{work}/hello.sock", 0),
                          ("floorburn", f"unix:{work}/floorburn.sock", CONNECTIONS)]
        self.proxy = Proxy(os.path.join(work, "nginx"), upstreams).start()
        for name in [n for n in self.proxy.ports if n not in ("floorburn", "vgpresignd", "vgfloor")]:
            wait_for_healthz(self.proxy.url(name), f"{name} behind nginx")

        self.groups = {
            "presignd": lambda: [self.presignd_pid],
            "floor": lambda: [p.pid for p in self.floors["floor"]],
            "floorsql": lambda: [p.pid for p in self.floors.get("floorsql", [])],
            "floorburn": lambda: [p.pid for p in self.floors.get("floorburn", [])],
            "hello": lambda: [p.pid for p in self.hello],
            "nginx": lambda: [self.proxy.process.pid],
            "postgres": lambda: [self.pg.pid],
        }

    def start_floorburn(self, burns, processes, log_name="floor.log"):
        """The floor burning `burns[route]` CPU µs per request (FLOOR_BURN_*_US), on its own socket."""
        log = open(os.path.join(self.work, log_name), "ab")
        env = dict(self.floor_env, **{f"FLOOR_BURN_{route.upper()}_US": str(int(us)) for route, us in burns.items()})
        self.floors["floorburn"] = start_on_socket([os.environ["FLOOR_BINARY"]], os.path.join(self.work, "floorburn.sock"),
                                                   processes, env, log)
        wait_for_healthz(self.proxy.url("floorburn"), "the burning floor", timeout=10)

    def url(self, server, route):
        base = self.proxy.url(server)
        return base + {"presign": "/api/uploads/presign", "download": f"/api/documents/{self.document}/download",
                       "cdn": "/api/auth/cdn-cookies", "healthz": "/healthz"}[route]

    def sample(self):
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = {}
        for name, pids in self.groups.items():
            out[name], out[name + "_sys"] = cpu_seconds(pids())
        out["wrk"] = usage.ru_utime + usage.ru_stime
        return out

    def stop(self):
        try:
            if self.proxy:
                self.proxy.stop()  # asserts that nginx exited 0: the rest is stopped all the same
        finally:
            for procs in self.floors.values():
                stop_all(procs)
            stop_all(self.hello)
            if self.server:
                try:
                    self.server.stop(timeout=20)
                finally:
                    self.server.kill()
            self.pg.destroy()


# --- wrk ---------------------------------------------------------------------------------------

SCRIPTS = {"presign": ("post-json.lua", json.dumps(PRESIGN_BODY)), "download": ("get-auth.lua", None),
           "cdn": ("post-json.lua", "{}"), "healthz": ("get-auth.lua", None)}


def settle(pg, limit=60.0):
    """The same start for every run: no autovacuum worker busy (the presign runs insert tens of
    thousands of rows, and autovacuum then works through the next run, on the same 2 cores), and
    a fresh checkpoint, so whichever server runs after the inserts is not the one that pays."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and pg.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")[0][0] != "0":
        time.sleep(0.2)
    pg.psql("CHECKPOINT")


def wrk(stack, server, route, seconds, cpu_group):
    script, body = SCRIPTS[route]
    settle(stack.pg)
    env = {"FLOWS_TOKEN": token()}
    if body is not None:
        env["FLOWS_BODY"] = body
    result = run_wrk(stack.url(server, route), script, env, CONNECTIONS, seconds, cpu=stack)
    cpu = result.pop("cpu_us")
    result.update(server=cpu[cpu_group], server_sys=cpu[cpu_group + "_sys"], nginx=cpu["nginx"], postgres=cpu["postgres"],
                  wrk=cpu["wrk"])
    return result


def median(values):
    return statistics.median(values) if values else float("nan")


LABELS = {
    "presign": "POST /api/uploads/presign",
    "download": "GET /api/documents/{id}/download",
    "cdn": "POST /api/auth/cdn-cookies",
    "healthz": "GET /healthz",
}
SERVER_LABELS = {"presignd": f"presignd {WORKERS} × {THREADS}", "floor": f"floor {PROCESSES} × {THREADS}",
                 "floorburn": f"floor {PROCESSES} × {THREADS} burning presignd's extra CPU per request",
                 "floorsql": f"floor {PROCESSES} × {THREADS}, presignd's statements",
                 "hello": "C hello 2 × 1, no keep-alive"}
METRICS = ("rps", "p50", "p99", "server", "server_sys", "nginx", "postgres", "wrk")


def ab_rounds(stack, pairs, rounds, seconds):
    """pairs: [(route, [servers])]. Odd rounds in the given order, even rounds reversed."""
    results = {(route, s): [] for route, servers in pairs for s in servers}
    for r in range(1, rounds + 1):
        for route, servers in pairs:
            order = servers if r % 2 else list(reversed(servers))
            for server in order:
                group = server
                res = wrk(stack, server, route, seconds, group)
                results[(route, server)].append(res)
                print(f"round {r} {route:8} {server:9} {res['rps']:8.0f} req/s p99 {res['p99']:6.2f} ms  server {res['server']:6.1f} "
                      f"(sys {res['server_sys']:5.1f}) "
                      f"nginx {res['nginx']:5.1f} pg {res['postgres']:6.1f} wrk {res['wrk']:5.1f} µs/req  failed {res['bad']}",
                      file=sys.stderr, flush=True)
    return results


def table(results, pairs, command):
    lines = [f"| {command} | req/s | p50 ms | p99 ms | server CPU µs/req | of it kernel | nginx µs/req | PostgreSQL µs/req | "
             f"wrk µs/req | failed |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for route, servers in pairs:
        for server in servers:
            runs = results[(route, server)]
            m = {k: median([x[k] for x in runs]) for k in METRICS}
            lines.append(f"| {LABELS[route]}: {SERVER_LABELS[server]} | {m['rps']:,.0f} | {m['p50']:.2f} | {m['p99']:.2f} | "
                         f"{m['server']:.1f} | {m['server_sys']:.1f} | {m['nginx']:.1f} | {m['postgres']:.1f} | {m['wrk']:.1f} | "
                         f"{sum(x['bad'] for x in runs)} |")
        a = servers[0]
        for b in servers[1:]:
            ratios = {k: median([x[k] / y[k] if y[k] else float("nan") for x, y in zip(results[(route, a)], results[(route, b)])])
                      for k in METRICS}
            # /healthz does not touch PostgreSQL: its background CPU makes no ratio.
            postgres = "—" if route == "healthz" else f"**{ratios['postgres']:.2f}**"
            lines.append(f"| {LABELS[route]}: **{a} / {b}** (median of per-round ratios) | "
                         f"**{ratios['rps']:.2f}** | {ratios['p50']:.2f} | {ratios['p99']:.2f} | **{ratios['server']:.2f}** | "
                         f"{ratios['server_sys']:.2f} | {ratios['nginx']:.2f} | {postgres} | {ratios['wrk']:.2f} | |")
    return "\n".join(lines)


# --- PostgreSQL diagnosis ----------------------------------------------------------------------

def pg_counters(pg):
    """Transactions committed and rolled back, rows inserted (pg_stat_database, as flushed by the
    backends), the next transaction id (exact: every writing transaction takes one), and WAL
    writes and flushes (pg_stat_wal: a commit flushes the WAL, or finds another commit did)."""
    row = pg.psql("SELECT xact_commit, xact_rollback, tup_inserted, pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
                  "(SELECT wal_write FROM pg_stat_wal), (SELECT wal_sync FROM pg_stat_wal) "
                  "FROM pg_stat_database WHERE datname = current_database()")[0]
    return [int(x) for x in row]


def statements_run(stack, server, route, seconds):
    pg = stack.pg
    # A backend flushes its pg_stat_database counts when idle, at most once a second, and ten
    # seconds later when the flush met a lock: wait that out on both sides of the run.
    time.sleep(11)
    pg.psql("SELECT pg_stat_statements_reset()")
    before = pg_counters(pg)
    res = wrk(stack, server, route, seconds, server)
    time.sleep(11)
    after = pg_counters(pg)
    rows = pg.psql("SELECT calls, plans, total_exec_time, total_plan_time, rows, shared_blks_hit, wal_records, wal_bytes, "
                   "regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
                   "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                   "AND query NOT LIKE '%pg_stat%' ORDER BY calls DESC")
    n = res["requests"]
    stmts = [{"calls": int(r[0]), "plans": int(r[1]), "exec_ms": float(r[2]), "plan_ms": float(r[3]), "rows": int(r[4]),
              "hit": int(r[5]), "wal_records": int(r[6]), "wal_bytes": int(r[7]), "query": r[8]} for r in rows]
    return {"requests": n, "rps": res["rps"], "postgres": res["postgres"], "xacts": (after[0] - before[0]) / n,
            "rollbacks": (after[1] - before[1]) / n, "inserted": (after[2] - before[2]) / n,
            "xids": (after[3] - before[3]) / n, "wal_writes": (after[4] - before[4]) / n, "wal_syncs": (after[5] - before[5]) / n,
            "statements": stmts}


def statement_log(stack, server, route, count=3):
    """The server log's lines for `count` requests with every statement's parse/bind/execute logged."""
    pg = stack.pg
    pg.set("log_line_prefix", "'[%a] '")
    pg.set("log_min_duration_statement", "0")
    start = os.path.getsize(pg.log)
    session = requests.Session()
    script, body = SCRIPTS[route]
    headers = {"Authorization": "Bearer " + token()}
    for _ in range(count):
        if body is None:
            r = session.get(stack.url(server, route), headers=headers, timeout=10)
        else:
            r = session.post(stack.url(server, route), data=body, headers=dict(headers, **{"Content-Type": "application/json"}), timeout=10)
        assert r.status_code == 200, (server, route, r.status_code, r.text[:200])
    time.sleep(0.5)
    pg.set("log_min_duration_statement", None)
    with open(pg.log, errors="replace") as f:
        f.seek(start)
        text = f.read()
    lines = [line for line in text.splitlines() if "duration:" in line and "[psql]" not in line]
    kinds = {}
    for line in lines:
        m = re.search(r"duration: [0-9.]+ ms  (parse|bind|execute|statement)", line)
        if m:
            kinds[m.group(1)] = kinds.get(m.group(1), 0) + 1
    return kinds, lines


def diagnosis(stack, main_results):
    out = []
    routes = [r for r in ("presign", "download", "cdn") if r in ROUTES]
    stack.pg.set("pg_stat_statements.track_planning", "on")
    out.append(f"\npg_stat_statements (track_planning on) for one wrk -t2 -c{CONNECTIONS} -d{DIAG_SECONDS}s run per route "
               f"and server; per wrk request:\n")
    out.append("| route | server | req/s | PostgreSQL µs/req | transactions/req | xids/req | rows inserted/req | WAL flushes/req | "
               "statements/req | statement | calls/req | plans/call | exec µs/call | plan µs/call | rows/call | WAL bytes/call | "
               "buffer hits/call |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    texts = {}
    for route in routes:
        for server in ("presignd", "floor", "floorsql"):
            d = statements_run(stack, server, route, DIAG_SECONDS)
            n = d["requests"]
            total_calls = sum(s["calls"] for s in d["statements"])
            first = True
            for s in d["statements"]:
                if s["calls"] < n * 0.01:
                    continue
                q = s["query"]
                texts.setdefault(q, f"S{len(texts) + 1}")
                lead = (f"| {LABELS[route]} | {SERVER_LABELS[server]} | {d['rps']:,.0f} | {d['postgres']:.1f} | {d['xacts']:.3f} | "
                        f"{d['xids']:.3f} | {d['inserted']:.3f} | {d['wal_syncs']:.3f} | {total_calls / n:.3f}" if first
                        else "| | | | | | | | |")
                out.append(f"{lead} | {texts[q]} | {s['calls'] / n:.3f} | {s['plans'] / max(s['calls'], 1):.4f} | "
                           f"{s['exec_ms'] * 1000 / max(s['calls'], 1):.1f} | {s['plan_ms'] * 1000 / max(s['plans'], 1):.1f} | "
                           f"{s['rows'] / max(s['calls'], 1):.2f} | {s['wal_bytes'] / max(s['calls'], 1):.0f} | "
                           f"{s['hit'] / max(s['calls'], 1):.1f} |")
                first = False
    stack.pg.set("pg_stat_statements.track_planning", "off")
    out.append("\nStatements:\n")
    for q, name in texts.items():
        out.append(f"- {name}: `{q}`")

    out.append("\nStatement log (log_min_duration_statement=0), 3 requests each through nginx:\n")
    out.append("| route | server | parse | bind | execute | simple-protocol statements |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: |")
    samples = []
    for route in routes:
        for server in ("presignd", "floor"):
            kinds, lines = statement_log(stack, server, route)
            out.append(f"| {LABELS[route]} | {SERVER_LABELS[server]} | {kinds.get('parse', 0)} | {kinds.get('bind', 0)} | "
                       f"{kinds.get('execute', 0)} | {kinds.get('statement', 0)} |")
            samples += [f"{route}/{server}: {re.sub(r'^.*?LOG:  ', '', line)[:160]}" for line in lines[:3]]
    out.append("\nFirst log lines:\n\n```\n" + "\n".join(samples) + "\n```")

    if DIAG_ROUNDS > 0:
        pairs = [(r, ["floorsql", "floor"]) for r in routes]
        results = ab_rounds(stack, pairs, DIAG_ROUNDS, SECONDS)
        out.append(f"\nThe floor running presignd's statements (untyped binds in presignd's order, to_timestamp, its "
                   f"connection options) against the floor's own, A/B, {DIAG_ROUNDS} rounds, medians:\n")
        out.append(table(results, pairs, f"wrk -t2 -c{CONNECTIONS} -d{SECONDS}s, floor with presignd's statements vs floor"))

        # The floor burning the CPU presignd spends beyond it (per route, from the rounds above):
        # it then runs near presignd's rate, so PostgreSQL's remaining difference is the statements'.
        burns = {r: max(0.0, median([x["server"] for x in main_results[(r, "presignd")]])
                        - median([x["server"] for x in main_results[(r, "floor")]])) for r in routes}
        stack.start_floorburn(burns, PROCESSES)
        pairs = [(r, ["presignd", "floorburn"]) for r in routes]
        results = ab_rounds(stack, pairs, DIAG_ROUNDS, SECONDS)
        out.append(f"\npresignd against the floor burning presignd's extra CPU per request (µs: "
                   f"{', '.join(f'{r} {us:.0f}' for r, us in burns.items())}), A/B, {DIAG_ROUNDS} rounds, medians:\n")
        out.append(table(results, pairs, f"wrk -t2 -c{CONNECTIONS} -d{SECONDS}s, presignd vs floor + burn"))
    return "\n".join(out)


# --- the kernel's side ---------------------------------------------------------------------------

def server_pids(stack, server):
    if server == "presignd":
        return children(stack.presignd_pid)
    return [p.pid for p in stack.floors[server]]


def kernel_counts(stack):
    """Per route and server: perf's software counters (context switches, page faults, CPU
    migrations, task clock) over one wrk run, and strace -c's system calls over a shorter one at
    4 connections (strace slows the server; the calls per request are what count)."""
    global CONNECTIONS
    routes = [r for r in ("presign", "download", "cdn", "healthz") if r in ROUTES]
    lines = [f"| FLOOR_KERNEL=1: per request, perf stat -e context-switches,page-faults,cpu-migrations,task-clock "
             f"over wrk -c{CONNECTIONS} -d{DIAG_SECONDS}s; strace -f -c over wrk -c4 -d{DIAG_SECONDS}s | server | "
             f"task-clock µs | context switches | page faults | migrations | system calls | of which |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for route in routes:
        for server in ("presignd", "floor"):
            pids = server_pids(stack, server)
            out = os.path.join(stack.work, "perf.txt")
            perf = subprocess.Popen(["perf", "stat", "-x,", "-o", out, "-e", "context-switches,page-faults,cpu-migrations,task-clock",
                                     "-p", ",".join(map(str, pids))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            res = wrk(stack, server, route, DIAG_SECONDS, server)
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=30)
            counters = {}
            for row in open(out):
                parts = row.strip().split(",")
                if len(parts) > 3 and parts[0] and parts[0][0].isdigit():
                    counters[parts[2]] = float(parts[0])
            n = res["requests"]

            trace = os.path.join(stack.work, "strace.txt")
            strace = subprocess.Popen(["strace", "-f", "-c", "-o", trace] + [a for pid in pids for a in ("-p", str(pid))],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            saved, CONNECTIONS = CONNECTIONS, 4
            try:
                traced = wrk(stack, server, route, DIAG_SECONDS, server)
            finally:
                CONNECTIONS = saved
            strace.send_signal(signal.SIGINT)
            strace.wait(timeout=30)
            calls = {}
            for row in open(trace):
                parts = row.split()
                if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                    calls[parts[-1]] = int(parts[3])
            m = traced["requests"]
            top = sorted(calls.items(), key=lambda kv: -kv[1])
            lines.append(f"| {LABELS[route]} | {server} | {counters.get('task-clock', 0) * 1000 / n:.1f} | "
                         f"{counters.get('context-switches', 0) / n:.2f} | {counters.get('page-faults', 0) / n:.2f} | "
                         f"{counters.get('cpu-migrations', 0) / n:.2f} | {sum(calls.values()) / m:.1f} | "
                         + ", ".join(f"{name} {count / m:.2f}" for name, count in top if count / m >= 0.05) + " |")
            print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


# --- callgrind ---------------------------------------------------------------------------------

def profile(work, outdir):
    """Per route and server, two runs under callgrind that differ only in PROFILE_REQUESTS more
    requests (after the same start and warm-up); their difference, per request, is the route's
    steady cost with every one-time cost (start, first connection, statement preparation) gone.
    callgrind_control cannot reach presignd's forked workers (vgdb does not follow fork), hence
    two runs rather than zeroing the counters."""
    os.makedirs(outdir, exist_ok=True)
    stack = Stack(work, 1, 2, 1, 2, profiling=True)
    summary = {}
    try:
        for route in [r for r in ("presign", "download", "cdn", "healthz") if r in ROUTES]:
            for server in ("presignd", "floor"):
                files = [profile_run(stack, server, route, n, outdir) for n in (0, PROFILE_REQUESTS)]
                summary[(route, server)] = annotate_difference(files, outdir, f"{route}-{server}")
                call_tree(files, f"{route}-{server}", outdir)
                print(f"{route} {server}: {summary[(route, server)]:,.0f} instructions per request", file=sys.stderr, flush=True)
    finally:
        stack.stop()
    lines = [f"| callgrind: instructions per request, ({PROFILE_REQUESTS} + 100 sequential requests) − (100), 1 worker × 2 threads "
             f"behind nginx (keep-alive) | presignd | floor | presignd / floor |", "| --- | ---: | ---: | ---: |"]
    for route in [r for r in ("presign", "download", "cdn", "healthz") if r in ROUTES]:
        a, b = summary[(route, "presignd")], summary[(route, "floor")]
        lines.append(f"| {LABELS[route]} | {a:,.0f} | {b:,.0f} | **{a / b:.1f}** |")
    return "\n".join(lines)


VALGRIND = ["valgrind", "--tool=callgrind", "--vgdb=no", "--dump-instr=no", "--collect-jumps=no"]


def profile_run(stack, server, route, count, outdir):
    """One run under callgrind: start, 100 warm-up requests, `count` more, stop; returns the
    callgrind file of the process that served them."""
    tag = f"{route}-{server}-{count}"
    out = os.path.join(outdir, f"callgrind.out.{tag}.%p")
    sock = os.path.join(stack.work, f"vg-{server}.sock")
    log = open(os.path.join(stack.work, "valgrind.log"), "ab")
    if server == "presignd":
        env = dict(stack.presignd_env, PRESIGND_WORKERS="1", PRESIGND_THREADS="2")
        procs = [subprocess.Popen(VALGRIND + [f"--callgrind-out-file={out}", os.environ["PRESIGND_BINARY"], "serve", "--listen", sock,
                                              "--socket-mode", "0666"], env=env, stdout=log, stderr=log, cwd=stack.work)]
    else:
        procs = start_on_socket(VALGRIND + [f"--callgrind-out-file={out}", os.environ["FLOOR_BINARY"]], sock, 1,
                                dict(stack.floor_env, FLOOR_THREADS="2"), log)
    url = stack.url(f"vg{server}", route)
    session = requests.Session()
    headers = {"Authorization": "Bearer " + token()}
    script, body = SCRIPTS[route]

    def send(n):
        for _ in range(n):
            if body is None:
                r = session.get(url, headers=headers, timeout=60)
            else:
                r = session.post(url, data=body, headers=dict(headers, **{"Content-Type": "application/json"}), timeout=60)
            assert r.status_code == 200, (server, route, r.status_code, r.text[:200])

    try:
        wait_for_healthz(stack.proxy.url(f"vg{server}"), f"{server} under valgrind", limit=180, timeout=60, pause=1)
        served_by = children(procs[0].pid)[0] if server == "presignd" else procs[0].pid
        send(100)
        send(count)
    finally:
        stop_all(procs)
    path = out.replace("%p", str(served_by))
    assert os.path.getsize(path) > 0, f"{path} is empty: {server} did not exit cleanly"
    return path


ANNOTATE_LINE = re.compile(r"^\s*([0-9,]+) \(\s*[0-9.]+%\)\s+(\S.*?)\s*$")


def annotate(path, inclusive):
    """{function: instructions} from callgrind_annotate, every function (threshold 100 %)."""
    text = subprocess.run(["callgrind_annotate", "--auto=no", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", path],
                          capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"^([0-9,]+) \(100\.0%\)\s+PROGRAM TOTALS", text, re.M).group(1).replace(",", ""))
    functions = {}
    body = text.split("file:function", 1)[-1]
    for line in body.splitlines():
        m = ANNOTATE_LINE.match(line)
        if m:
            # One function's lines can come from several source files (inlined code), each its own
            # entry: exclusive costs are summed under the function's name; the entry of the
            # function's own file already holds the whole inclusive cost, the others parts of it.
            name = re.sub(r"\s*\[[^\]]*\]$", "", short_label(m.group(2)))
            cost = int(m.group(1).replace(",", ""))
            functions[name] = max(functions.get(name, 0), cost) if inclusive else functions.get(name, 0) + cost
    return total, functions


def short_label(label):
    """`function [library]`: callgrind's source path dropped, the object file by its base name."""
    label = re.sub(r"^(\?\?\?|[^ :]*(\.(swift|c|S|h)|<compiler-generated>)|[^ :]*/[^ :]*):", "", label)
    return re.sub(r"\[([^\]]*/)?([^\]/]+)\]$", r"[\2]", label)


def call_graph(path):
    """(self cost per function, inclusive cost per caller -> callee edge) from a callgrind file;
    functions by name (callgrind's recursion levels, name'2, stay apart, so the graph has no cycle
    through the middleware chain)."""
    names, self_cost, edges = {}, {}, {}
    function = callee = None
    pending_call = False

    def name_of(spec):
        m = re.match(r"\((\d+)\)(?: (.*))?", spec)
        if not m:
            return spec
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names[m.group(1)]

    with open(path) as f:
        for line in f:
            if line.startswith("fn="):
                function = name_of(line[3:].strip())
            elif line.startswith("cfn="):
                callee = name_of(line[4:].strip())
            elif line.startswith("calls="):
                pending_call = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                parts = line.split()
                if len(parts) < 2:
                    continue
                cost = int(parts[1])
                if pending_call:
                    if callee != function:
                        edges[(function, callee)] = edges.get((function, callee), 0) + cost
                    pending_call = False
                else:
                    self_cost[function] = self_cost.get(function, 0) + cost
    return self_cost, edges


# Where the request's tree starts, and where it is cut: presignd's middleware chain recurses
# (Application.run -> middleware -> Application.run), which callgrind folds into one "'2" level;
# Application.dispatch, below the chain, gets a tree of its own.
TREE_ROOTS = ["Worker.serve(_:slot:)", "Application.dispatch(_:)", "serve"]
TREE_CUTS = {"closure #1 in Application.run(_:through:)"}


def call_tree(files, name, outdir, share=0.01, depth=24):
    """NAME.tree.txt: the callees of the request's serving function (and of presignd's
    Application.dispatch), per request, expanded while a callee costs at least `share` of the
    request (the larger run minus the smaller). Callgrind keeps one set of callees per function, so
    below a function called from several places (swift_release, malloc) the figures are its callees
    in proportion to this call's share (exact where there is one caller)."""
    (self0, edges0), (self1, edges1) = call_graph(files[0]), call_graph(files[1])
    edges = {k: (edges1.get(k, 0) - edges0.get(k, 0)) / PROFILE_REQUESTS for k in set(edges0) | set(edges1)}
    selfs = {k: (self1.get(k, 0) - self0.get(k, 0)) / PROFILE_REQUESTS for k in set(self0) | set(self1)}
    mangled = sorted({f for pair in edges for f in pair} | set(selfs))
    readable = dict(zip(mangled, demangle("\n".join(mangled)).splitlines()))
    callees, incoming = {}, {}
    for (caller, callee), cost in edges.items():
        callees.setdefault(caller, []).append((cost, callee))
        incoming[callee] = incoming.get(callee, 0) + cost
    request = None
    out = []
    for root_name in TREE_ROOTS:
        root = next((f for f in mangled if readable.get(f) == root_name and f in callees), None)
        if root is None:
            continue
        total = incoming.get(root) or (sum(c for c, _ in callees[root]) + selfs.get(root, 0))
        request = request or total

        def walk(function, cost, level, path):
            out.append(f"{cost:10,.0f} {cost / request * 100:5.1f}%  {'  ' * level}{readable.get(function, function)}")
            if level >= depth or readable.get(function) in TREE_CUTS:
                return
            scale = 1.0 if level == 0 else min(1.0, cost / incoming[function]) if incoming.get(function) else 0
            for c, callee in sorted(callees.get(function, []), reverse=True):
                if c * scale >= share * request and callee not in path:
                    walk(callee, c * scale, level + 1, path | {callee})
        walk(root, total, 0, {root})
        out.append("")
    with open(os.path.join(outdir, f"{name}.tree.txt"), "w") as f:
        f.write(f"{name}: instructions per request below the request's serving function, and below "
                f"Application.dispatch for presignd (callees costing at least {share:.0%} of the request, inclusive; "
                f"% of the request)\n\n" + "\n".join(out))


def annotate_difference(files, outdir, name):
    """Writes NAME.exclusive.txt and NAME.inclusive.txt (instructions per request, the larger run
    minus the smaller, Swift names demangled); returns the instructions per request."""
    per_request = None
    for inclusive in (False, True):
        (total0, f0), (total1, f1) = annotate(files[0], inclusive), annotate(files[1], inclusive)
        per_request = (total1 - total0) / PROFILE_REQUESTS
        rows = sorted(((f1.get(k, 0) - f0.get(k, 0)) / PROFILE_REQUESTS, k) for k in set(f0) | set(f1))
        rows = [r for r in reversed(rows) if r[0] >= 1]
        names = demangle("\n".join(k for _, k in rows)).splitlines()
        kind = "inclusive" if inclusive else "exclusive"
        with open(os.path.join(outdir, f"{name}.{kind}.txt"), "w") as f:
            f.write(f"{name}: {per_request:,.0f} instructions per request ({kind}; {os.path.basename(files[1])} minus "
                    f"{os.path.basename(files[0])}, divided by {PROFILE_REQUESTS})\n\n")
            for (ir, _), label in zip(rows, names):
                f.write(f"{ir:12,.0f} {ir / per_request * 100:6.2f}%  {label}\n")
    return per_request


def demangle(text):
    try:
        out = subprocess.run(["swift", "demangle", "--simplified"], input=text, capture_output=True, text=True, check=True).stdout
        return out if len(out.splitlines()) == len(text.splitlines()) else text
    except (OSError, subprocess.CalledProcessError):
        return text


# --- main --------------------------------------------------------------------------------------

def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-floor-")
    os.chmod(work, 0o755)
    try:
        if PROFILE:
            print(profile(work, os.path.abspath(PROFILE)))
            return
        if os.environ.get("FLOOR_KERNEL") == "1":
            stack = Stack(work, WORKERS, THREADS, PROCESSES, THREADS)
            try:
                print(kernel_counts(stack))
            finally:
                stack.stop()
            return
        stack = Stack(work, WORKERS, THREADS, PROCESSES, THREADS)
        try:
            pairs = [(r, ["presignd", "floor"]) for r in ROUTES if r != "healthz"]
            if "healthz" in ROUTES:
                pairs.append(("healthz", ["presignd", "hello", "floor"]))
            results = ab_rounds(stack, pairs, ROUNDS, SECONDS)  # FLOOR_ROUNDS=0: the diagnosis alone
            command = (f"`bench/floor.sh` (FLOOR_ROUNDS={ROUNDS}): wrk -t{min(2, CONNECTIONS)} -c{CONNECTIONS} -d{SECONDS}s, "
                       f"medians of {ROUNDS} A/B rounds")
            print(f"\nWrite routes against a C floor: nginx 1 worker (keepalive {CONNECTIONS}) → presignd ({WORKERS} workers × "
                  f"{THREADS} threads) or the floor ({PROCESSES} processes × {THREADS} threads), unix sockets; PostgreSQL 15 "
                  f"on loopback TCP, synchronous_commit=on, pg_stat_statements loaded; {os.cpu_count()} cores; "
                  f"{time.strftime('%Y-%m-%d')}; presignd at {COMMIT[:10]}. CPU per request from /proc (utime+stime of each process tree).\n")
            if ROUNDS > 0:
                print(table(results, pairs, command), flush=True)
            if DIAG:
                print(diagnosis(stack, results))
        finally:
            stack.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
