"""A real high-availability PostgreSQL cluster (issue 25 §1): three PostgreSQL 15 nodes managed by
Patroni (Debian's `patroni`, run as /usr/bin/patroni) with one etcd member (Debian's `etcd-server`)
as its store. Patroni decides everything: who bootstraps, who leads, when to fail over; the
harness only starts the processes, asks Patroni's REST API and does harm (switchover, SIGKILL,
a cut link, SIGSTOP).

Topology. With network namespaces (root), each node is a host of its own: a namespace joined by
a veth pair to a bridge on this machine (10.231.K.0/24: the bridge .1, nodes .11 .12 .13), each
node's PostgreSQL on :5432 and Patroni's REST API on :8008 of its own address. etcd, presignd and
the test stay here and reach the nodes over the bridge, as the nodes reach etcd and each other.
Taking a node's link down (`partition`) therefore cuts it off from etcd, the other nodes and
presignd at once, and nothing else. Without namespaces every node listens on 127.0.0.1 with
ports of its own, and there is no `partition` (netns.unavailable() says why).

Processes. Patroni and PostgreSQL refuse to run as root, so as root they run as `postgres`
(like harness/postgres.py's clusters). Patroni detaches the postmaster it starts; its parent
would become PID 1, which here does not reap, and Patroni would take a killed postmaster (a
zombie) for a live one. So each node's Patroni runs under a small reaper (REAPER, a child
subreaper that reaps whatever is orphaned below it) and the postmaster becomes the reaper's
child. Each node: `ip netns exec` → `setpriv` → reaper → patroni (the first three exec or stay
in place, so the Popen PID is the reaper's). `close()` ends every process by PID (SIGCONT first,
Patroni SIGKILLed so it restarts nothing, the postmaster told to stop at once, then SIGKILL),
stops etcd, deletes the namespaces and the bridge, and removes the files, whatever failed.

patroni_stack() puts presignd behind nginx on the cluster's multi-host URL; fail_under_load() runs
harness/failover.py's keep-alive load while one of HARMS happens to the leader and times Patroni
and presignd (test_patroni.py asserts on it, bench/patroni.py measures with it)."""
import contextlib
import json
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import requests

from . import failover, netns
from .nginx import wait_for_listener
from .postgres import PG_BIN, free_port
from .stack import migrate, start_stack, stop_stack

PATRONI = os.environ.get("PRESIGND_PATRONI", "/usr/bin/patroni")
ETCD = os.environ.get("PRESIGND_ETCD", "/usr/bin/etcd")
PATRONI_PYTHON = "/usr/bin/python3"  # the Debian package's interpreter (it has Patroni's modules)
NODES = 3
# Patroni's timing, in seconds (the dynamic configuration's ttl, loop_wait and retry_timeout):
# the leader key lives `ttl` without a refresh, each node runs its loop every `loop_wait`, a
# DCS or PostgreSQL call is retried for `retry_timeout` (Patroni wants loop_wait + 2 ×
# retry_timeout ≤ ttl). Patroni's defaults are 30 / 10 / 10; these are shorter so that a test
# waits seconds, not half a minute, and still long enough not to fail over on a busy machine.
TTL, LOOP_WAIT, RETRY_TIMEOUT = 8, 1, 3

# A child subreaper around Patroni: orphans below it (the postmaster Patroni detaches with
# setsid) become its children and are reaped here, so a killed postmaster is gone, not a
# zombie. SIGTERM and SIGINT go on to Patroni; it exits when no child is left, with Patroni's
# status.
REAPER = """
import ctypes, os, signal, subprocess, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
child = subprocess.Popen(sys.argv[1:])
status = None
def forward(signo, frame):
    if status is None:
        os.kill(child.pid, signo)
signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)
while True:
    try:
        pid, code = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    if pid == child.pid:
        status = os.waitstatus_to_exitcode(code)
sys.exit(status or 0)
"""


def unavailable():
    """None when Patroni and etcd are installed, else what is missing (deploy/test.sh installs
    both: `ensure_packages patroni etcd-server`)."""
    missing = [path for path in (PATRONI, ETCD, PATRONI_PYTHON) if not os.access(path, os.X_OK)]
    if missing:
        return f"missing {', '.join(missing)}: apt-get install patroni etcd-server"
    return None


def children(pid):
    try:
        return [int(p) for p in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def descendants(pid):
    found, queue = [], [pid]
    while queue:
        for child in children(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


def alive(pid):
    """True while `pid` runs (a zombie does not)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def signal_all(pids, signo):
    for pid in pids:
        try:
            os.kill(pid, signo)
        except ProcessLookupError:
            pass


class Etcd:
    """One etcd member on this machine: clients on 127.0.0.1 and `address` (the bridge's), peers
    on 127.0.0.1 only; its data in root/etcd. Stopped by PID."""

    def __init__(self, root, address):
        self.root, self.address = pathlib.Path(root), address
        self.client_port, self.peer_port = free_port(), free_port()
        self.process = None

    @property
    def endpoint(self):
        return f"{self.address}:{self.client_port}"

    def start(self):
        peer = f"http://127.0.0.1:{self.peer_port}"
        clients = sorted({f"http://127.0.0.1:{self.client_port}", f"http://{self.endpoint}"})
        with open(self.root / "etcd.log", "ab") as log:
            self.process = subprocess.Popen(
                [ETCD, "--name", "presignd", "--data-dir", str(self.root / "etcd"), "--listen-peer-urls", peer,
                 "--initial-advertise-peer-urls", peer, "--initial-cluster", f"presignd={peer}",
                 "--listen-client-urls", ",".join(clients), "--advertise-client-urls", f"http://{self.endpoint}"],
                stdout=log, stderr=log)
        wait_for_listener(f"127.0.0.1:{self.client_port}", timeout=20, process=self.process)
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class BridgedNamespace(netns.NetworkNamespace):
    """netns.py's namespace with a veth pair, its host end a port of `bridge` instead of having an
    address: the node is `address`/24 on the bridge's network."""

    def __init__(self, index, subnet, bridge):
        super().__init__(f"node{index}", 10 + index, subnet)
        self.address = f"{subnet}.{10 + index}"
        self.network = f"{subnet}.0/24"
        self.bridge = bridge

    def create(self):
        netns._ip("netns", "add", self.name)
        self.created = True
        netns._ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if, "netns", self.name)
        netns._ip("link", "set", self.host_if, "master", self.bridge)
        netns._ip("link", "set", self.host_if, "up")
        self.exec("ip", "addr", "add", f"{self.address}/24", "dev", self.ns_if)
        self.exec("ip", "link", "set", self.ns_if, "up")
        self.exec("ip", "link", "set", "lo", "up")
        return self


class Lan:
    """A bridge on this machine with an address (.1/24 of a free 10.231.K.0/24) and one namespace
    per node on it."""

    def __init__(self, count):
        k = netns.free_subnet_index()
        subnet = f"10.231.{k}"
        self.bridge = f"psdb{os.getpid() % 100000}"
        self.host_address = f"{subnet}.1"
        self.network = f"{subnet}.0/24"
        self.spaces = [BridgedNamespace(i + 1, subnet, self.bridge) for i in range(count)]
        self.created = False

    def create(self):
        netns._ip("link", "add", self.bridge, "type", "bridge")
        self.created = True
        netns._ip("addr", "add", f"{self.host_address}/24", "dev", self.bridge)
        netns._ip("link", "set", self.bridge, "up")
        for space in self.spaces:
            space.create()
        return self

    def destroy(self):
        for space in self.spaces:
            space.destroy()
        if self.created:
            netns._ip("link", "del", self.bridge, check=False)
            self.created = False


class Node:
    """One Patroni-managed PostgreSQL: its directory (config, data, sockets, log), its address and
    ports, its reaper's Popen and what Patroni's REST API says about it."""

    def __init__(self, root, name, address, namespace, etcd, network, database, as_user):
        self.name, self.address, self.namespace, self.database = name, address, namespace, database
        self.dir = pathlib.Path(root) / name
        self.data = self.dir / "data"
        self.log = self.dir / "patroni.log"
        # In a namespace of its own every node has the standard ports; on loopback they differ.
        self.port = 5432 if namespace else free_port()
        self.rest_port = 8008 if namespace else free_port()
        self.as_user = as_user
        self.process = None
        (self.dir / "sockets").mkdir(parents=True)
        local = ["127.0.0.1/32", network] if network != "127.0.0.1/32" else ["127.0.0.1/32"]
        config = {
            "scope": "presignd", "namespace": f"/presignd-{os.getpid()}/", "name": name,
            "log": {"level": "INFO", "format": "%(asctime)s %(levelname)s: %(message)s"},
            "restapi": {"listen": f"{address}:{self.rest_port}", "connect_address": f"{address}:{self.rest_port}"},
            "etcd3": {"hosts": [etcd.endpoint]},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL, "loop_wait": LOOP_WAIT, "retry_timeout": RETRY_TIMEOUT,
                    # Fail over at once when the leader's PostgreSQL crashes, instead of first
                    # trying to restart it in place for up to 300 s (Patroni's default).
                    "primary_start_timeout": 0,
                    "maximum_lag_on_failover": 1048576,
                    "synchronous_mode": False,
                    "postgresql": {
                        "use_pg_rewind": True, "use_slots": True,
                        "parameters": {"wal_level": "replica", "hot_standby": "on", "wal_log_hints": "on",
                                       "max_connections": 200, "max_wal_senders": 10, "max_replication_slots": 10,
                                       "wal_keep_size": "128MB"},
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "no-sync"],
            },
            "postgresql": {
                "listen": f"{address}:{self.port}", "connect_address": f"{address}:{self.port}",
                "data_dir": str(self.data), "bin_dir": PG_BIN, "pgpass": str(self.dir / "pgpass"),
                "use_unix_socket": True, "use_unix_socket_repl": False,
                "authentication": {"superuser": {"username": "postgres"}, "replication": {"username": "postgres"},
                                   "rewind": {"username": "postgres"}},
                "parameters": {"unix_socket_directories": str(self.dir / "sockets"), "shared_buffers": "32MB"},
                "pg_hba": ["local all all trust"] + [f"host {db} all {net} trust" for net in local
                                                     for db in ("all", "replication")],
                "basebackup": [{"checkpoint": "fast"}, "no-sync"],
            },
            "watchdog": {"mode": "off"},
            "tags": {},
        }
        self.config = self.dir / "patroni.yml"
        self.config.write_text(json.dumps(config, indent=2))  # JSON is YAML

    # --- processes ---

    def command(self):
        prefix = self.namespace.prefix() if self.namespace else []
        return [*prefix, *self.as_user, PATRONI_PYTHON, "-c", REAPER, PATRONI, str(self.config)]

    def start(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.dir), "LANG": "C.UTF-8"}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.dir)
        return self

    def patroni_pid(self):
        """Patroni's PID (the reaper's child running /usr/bin/patroni), or None."""
        for pid in children(self.process.pid):
            try:
                argv = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if len(argv) > 1 and argv[1] == PATRONI.encode():
                return pid
        return None

    def postmaster_pid(self):
        """The running postmaster's PID from postmaster.pid, or None."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError, PermissionError):
            return None
        return pid if alive(pid) else None

    def processes(self):
        """Every process of this node: the reaper, Patroni, the postmaster, its children."""
        if self.process is None or not alive(self.process.pid):
            return []
        return [self.process.pid, *descendants(self.process.pid)]

    def kill_postmaster(self):
        """SIGKILL the postmaster alone (a crash: its backends find their postmaster gone and exit)."""
        pid = self.postmaster_pid()
        assert pid is not None, f"{self.name} runs no PostgreSQL"
        os.kill(pid, signal.SIGKILL)
        return pid

    def freeze(self):
        """SIGSTOP every process of the node (the kernel still accepts connections to its ports);
        parents first, then again for any child forked meanwhile. Returns the PIDs stopped."""
        stopped = []
        for _ in range(5):
            fresh = [pid for pid in self.processes() if pid not in stopped]
            if not fresh:
                break
            signal_all(fresh, signal.SIGSTOP)
            stopped += fresh
        return stopped

    def thaw(self, pids):
        signal_all(pids, signal.SIGCONT)

    def stop(self):
        """Ends every process of the node by PID: SIGCONT (it may be frozen), Patroni SIGKILLed so it
        restarts nothing, the postmaster asked for an immediate shutdown (SIGQUIT), then SIGKILL for
        whatever is left after 5 s. The reaper exits when nothing below it runs any more (an orphan
        below it becomes its child), so once it has exited nothing of the node is left."""
        if self.process is None:
            return
        signal_all(self.processes(), signal.SIGCONT)
        patroni = self.patroni_pid()
        if patroni:
            signal_all([patroni], signal.SIGKILL)
        postmaster = self.postmaster_pid()
        if postmaster:
            signal_all([postmaster], signal.SIGQUIT)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            signal_all(self.processes(), signal.SIGKILL)
            self.process.kill()
            self.process.wait(timeout=10)

    # --- Patroni's REST API and SQL ---

    @property
    def api(self):
        return f"http://{self.address}:{self.rest_port}"

    def rest(self, method, path, timeout=2.0, **options):
        return requests.request(method, self.api + path, timeout=timeout, **options)

    def is_primary(self, timeout=0.5):
        """Patroni's health check for a write endpoint (HAProxy's `GET /primary`): 200 on the node
        that holds the leader key and runs as primary."""
        try:
            return self.rest("GET", "/primary", timeout=timeout).status_code == 200
        except requests.RequestException:
            return False

    def url(self, database=None):
        return f"postgresql://postgres@{self.address}:{self.port}/{database or self.database}"

    def psql(self, sql, database=None, timeout=20):
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                              "-d", self.url(database) + "?connect_timeout=2", "-c", sql],
                             check=True, capture_output=True, text=True, timeout=timeout).stdout
        return [line.split("\t") for line in out.splitlines()]  # an empty line is an empty value

    def __repr__(self):
        return f"<{self.name} {self.address}:{self.port}>"


class PatroniCluster:
    """etcd and NODES Patroni nodes, bootstrapped, the database `database` created on the leader
    and every replica streaming. `isolated`: each node in its own network namespace (needs root;
    None: when netns.unavailable() says nothing against it). `synchronous`: Patroni's
    synchronous_mode from the start. `keep_logs`: a directory that gets each node's log (Patroni's
    and PostgreSQL's) and etcd's when the cluster is closed. A context manager; `close()` also
    after a failed start."""

    def __init__(self, isolated=None, synchronous=False, database="presignd", nodes=NODES, keep_logs=None):
        self.isolated = netns.unavailable() is None if isolated is None else isolated
        self.synchronous, self.database, self.count = synchronous, database, nodes
        self.keep_logs = keep_logs
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="presignd-patroni-"))
        self.lan = self.etcd = None
        self.nodes = []

    def __enter__(self):
        try:
            self.start()
            return self
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()

    def start(self, timeout=60.0):
        as_user = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            as_user = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups"]
        if self.isolated:
            reason = netns.unavailable()
            assert reason is None, f"cannot make network namespaces: {reason}"
            self.lan = Lan(self.count)  # kept before create(): close() removes what a failed create() made
            self.lan.create()
            address, network = self.lan.host_address, self.lan.network
        else:
            address, network = "127.0.0.1", "127.0.0.1/32"
        self.etcd = Etcd(self.root, address).start()
        os.chmod(self.root, 0o755)
        for i in range(self.count):
            space = self.lan.spaces[i] if self.lan else None
            node = Node(self.root, f"node{i + 1}", space.address if space else "127.0.0.1", space, self.etcd,
                        network, self.database, as_user)
            if as_user:
                for path in (node.dir, node.dir / "sockets"):
                    shutil.chown(path, "postgres", "postgres")
                shutil.chown(node.config, "postgres", "postgres")
            self.nodes.append(node)
        for node in self.nodes:
            node.start()
        deadline = time.monotonic() + timeout
        leader = self.wait_for_leader(timeout=timeout)
        leader.psql(f"CREATE DATABASE {self.database}", database="postgres")
        if self.synchronous:
            self.set_synchronous(True, timeout=max(1.0, deadline - time.monotonic()))
        self.wait_for_replicas(timeout=max(1.0, deadline - time.monotonic()))
        return self

    def close(self):
        try:
            for node in self.nodes:
                try:
                    node.stop()
                except Exception as error:  # keep stopping the others
                    print(f"stopping {node.name}: {error}")
        finally:
            try:
                if self.etcd is not None:
                    self.etcd.stop()
            finally:
                if self.lan is not None:
                    self.lan.destroy()
                if self.keep_logs is not None:
                    kept = pathlib.Path(self.keep_logs)
                    kept.mkdir(parents=True, exist_ok=True)
                    for log in [self.root / "etcd.log"] + [n.log for n in self.nodes]:
                        if log.exists():
                            shutil.copy(log, kept / (log.parent.name + "-" + log.name if log.parent != self.root else log.name))
                shutil.rmtree(self.root, ignore_errors=True)

    # --- who leads ---

    def multi_host_url(self, attrs="read-write"):
        """What presignd's DATABASE_URL names: every node, libpq keeping the first that takes writes."""
        hosts = ",".join(f"{n.address}:{n.port}" for n in self.nodes)
        return f"postgresql://postgres@{hosts}/{self.database}?target_session_attrs={attrs}"

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def cluster_state(self, ask=None):
        """Patroni's GET /cluster (members with name, role, state, lag…) from the first node of `ask`
        (default: all) that answers."""
        for node in ask or self.nodes:
            try:
                answer = node.rest("GET", "/cluster", timeout=1.0)
                if answer.status_code == 200:
                    return answer.json()
            except requests.RequestException:
                continue
        return None

    def leader(self, ask=None):
        """The Node that Patroni's /cluster names leader with its PostgreSQL running, or None."""
        state = self.cluster_state(ask)
        for member in (state or {}).get("members", []):
            if member.get("role") == "leader" and member.get("state") == "running":
                return self.node(member["name"])
        return None

    def wait_for_leader(self, other_than=None, timeout=60.0, ask=None):
        """Waits until a node other than `other_than` leads and answers 200 to GET /primary;
        returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in ask or self.nodes:
                if node is not other_than and node.is_primary(timeout=0.3):
                    return node
            time.sleep(0.05)
        raise TimeoutError(f"no new leader within {timeout} s: {self.cluster_state(ask)}")

    def replicas_of(self, leader):
        return [n for n in self.nodes if n is not leader]

    def wait_for_replicas(self, count=None, timeout=60.0):
        """Waits until `count` (default: all other) nodes stream from the leader (and, in
        synchronous_mode, one of them is its synchronous standby); returns the leader."""
        count = self.count - 1 if count is None else count
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leader = self.leader()
            if leader is not None:
                try:
                    # Patroni's replicas stream as application_name = their name (pg_basebackup's
                    # WAL stream, while one is created, is also 'streaming', as 'pg_basebackup').
                    names = ", ".join(f"'{n.name}'" for n in self.nodes)
                    rows = leader.psql("SELECT count(*), count(*) FILTER (WHERE sync_state = 'sync') "
                                       f"FROM pg_stat_replication WHERE state = 'streaming' AND application_name IN ({names})",
                                       database="postgres")
                    streaming, sync = int(rows[0][0]), int(rows[0][1])
                    members = (self.cluster_state() or {}).get("members", [])
                    ready = sum(m.get("state") in ("running", "streaming") and m.get("role") != "leader"
                                for m in members)  # as Patroni sees them: candidates for promotion
                    if streaming >= count and ready >= count and (sync >= 1 or not self.synchronous_mode()):
                        return leader
                except subprocess.SubprocessError:
                    pass
            time.sleep(0.1)
        raise TimeoutError(f"the replicas do not stream: {self.cluster_state()}")

    # --- what happens to the leader ---

    def switchover(self, leader, candidate=None, timeout=30.0):
        """Patroni's planned switchover (POST /switchover to the leader's REST API): the leader
        stops PostgreSQL cleanly, the candidate (default: Patroni's pick) is promoted, the old
        leader follows it. Returns Patroni's answer (status, text) once it reports the result."""
        body = {"leader": leader.name}
        if candidate is not None:
            body["candidate"] = candidate.name
        answer = leader.rest("POST", "/switchover", json=body, timeout=timeout)
        return answer.status_code, answer.text

    def partition(self, node):
        """Takes the node's link down: it can reach nothing (etcd, the other nodes) and nothing can
        reach it (presignd, this test). Established connections hang; nothing is refused."""
        assert self.lan is not None, "a partition needs the nodes in network namespaces"
        netns._ip("link", "set", node.namespace.host_if, "down")

    def heal(self, node):
        netns._ip("link", "set", node.namespace.host_if, "up")

    def synchronous_mode(self):
        """Whether Patroni's dynamic configuration (GET /config of the first node that answers) has
        synchronous_mode on."""
        for node in self.nodes:
            try:
                return bool(node.rest("GET", "/config", timeout=1.0).json().get("synchronous_mode"))
            except (requests.RequestException, ValueError):
                continue
        return False

    def set_synchronous(self, on, timeout=30.0):
        """Patroni's synchronous_mode on or off (PATCH /config, the dynamic configuration in etcd):
        on, the leader names one replica in synchronous_standby_names and a commit waits until that
        replica has flushed it; only that replica may then be promoted. Waits until the leader's
        PostgreSQL has a synchronous standby (on) or none (off)."""
        leader = self.wait_for_leader(timeout=timeout)
        answer = leader.rest("PATCH", "/config", json={"synchronous_mode": bool(on)}, timeout=5)
        assert answer.status_code == 200, answer.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leader = self.leader() or leader
            # Patroni names the standby in PostgreSQL first, waits until it is synchronous there,
            # then records it in etcd (its /sync key; /cluster's role "sync_standby"). Until then
            # it would not promote it: a crash then is restarted in place, not failed over.
            members = (self.cluster_state() or {}).get("members", [])
            recorded = sum(m.get("role") == "sync_standby" for m in members)
            try:
                names = leader.psql("SHOW synchronous_standby_names", database="postgres")[0][0]
                sync = leader.psql("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'",
                                   database="postgres")[0][0]
                if (names != "" and sync == "1" and recorded == 1) if on else (names == "" and recorded == 0):
                    return leader
            except subprocess.SubprocessError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"synchronous_mode {on} did not take effect: {self.cluster_state()}")


class LeaderWatch:
    """Polls every node but `old` (Patroni's GET /primary, every 20 ms) from a thread of its own
    and notes when one first answers 200: Patroni's own time to a new leader. `old` is left out
    because a partitioned or frozen node's API would only hang the poll."""

    def __init__(self, cluster, old):
        self.cluster, self.old = cluster, old
        self.new_leader = self.at = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self):
        others = [n for n in self.cluster.nodes if n is not self.old]
        while not self._stop.is_set() and self.at is None:
            for node in others:
                if node.is_primary(timeout=0.3):
                    self.at, self.new_leader = time.monotonic(), node
                    break
            self._stop.wait(0.02)

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.at is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.new_leader


@contextlib.contextmanager
def patroni_stack(root, synchronous=False, isolated=None, workers=2, threads=4):
    """A PatroniCluster; presignd migrated through, and serving on, its multi-host URL
    (target_session_attrs=read-write, harness/failover.py's environment: connect timeout 2 s,
    statement timeout 2 s) behind a real nginx. Yields (cluster, presignd, nginx); stops all."""
    with PatroniCluster(isolated=isolated, synchronous=synchronous, keep_logs=pathlib.Path(root) / "patroni") as cluster:
        env = failover.presignd_env(cluster.multi_host_url())
        migrate(env)
        server, proxy = start_stack(root, env, workers=workers, threads=threads, keepalive=min(16, workers * threads))
        try:
            yield cluster, server, proxy
        finally:
            stop_stack(server, proxy)


# What happens to the leader in fail_under_load: each takes (cluster, leader) and returns what
# undoes it later (or None).
def switch_over(cluster, leader):
    status, text = cluster.switchover(leader)
    assert status == 200, (status, text)


def kill_postmaster(cluster, leader):
    leader.kill_postmaster()


def partition(cluster, leader):
    cluster.partition(leader)
    return lambda: cluster.heal(leader)


def freeze(cluster, leader):
    pids = leader.freeze()
    return lambda: leader.thaw(pids)


HARMS = {"switchover": switch_over, "postmaster-killed": kill_postmaster, "partition": partition,
         "frozen": freeze}


def fail_under_load(cluster, proxy, harm, settle=4.5, bound=failover.LIVENESS_BOUND):
    """harness/failover.py's keep-alive load (3 presigning, 2 listing) through `proxy`; after 1 s
    `harm(cluster, leader)` at moment "failure" while LeaderWatch polls the other nodes. Then
    waits for Patroni's new leader ("new_leader": the first 200 to GET /primary from another
    node) and presignd's first acknowledged write answered after it ("first_write": no other node
    can commit once a new leader is promoted, so it is the new leader's), and goes on `settle`
    seconds. Returns (records, moments, old leader, new leader or None, undo or None); the load
    has stopped, the harm is not undone."""
    old = cluster.leader()
    assert old is not None, cluster.cluster_state()
    moments, outcome = {}, {"new": None, "undo": None}

    def during(records):
        time.sleep(1.0)
        with LeaderWatch(cluster, old) as watch:
            moments["failure"] = time.monotonic()
            outcome["undo"] = harm(cluster, old)
            moments["harmed"] = time.monotonic()
            outcome["new"] = watch.wait(bound)
        if outcome["new"] is None:
            return
        moments["new_leader"] = watch.at
        moments["first_write"] = failover.wait_for_write(records, watch.at, by="end", bound=bound)
        time.sleep(settle)

    records = failover.run_load(proxy.url, during)
    return records, moments, old, outcome["new"], outcome["undo"]
