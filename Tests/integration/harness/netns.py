"""Network namespaces for tests that need separate hosts on one machine: each namespace is joined
to the host by a veth pair with a private /30 made up for the run (10.231-232.K.0/30, K chosen so
no address already on the machine is reused), its loopback up and nothing else. Needs root
(CAP_SYS_ADMIN and CAP_NET_ADMIN); `unavailable()` says precisely why not when it cannot work.
Processes started inside are ordinary children of the test (`ip netns exec` execs in place, so
the PID is the program's), stopped by PID; `destroy()` deletes the pair with the namespace."""
import contextlib
import os
import pathlib
import re
import shutil
import subprocess

from .nginx import NGINX_DIR, Nginx
from .postgres import ReachablePostgresCluster
from .presignd import Presignd, binary


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def unavailable():
    """None when namespaces and veth pairs can be made here, else the reason."""
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN)"
    probe = f"presignd-probe-{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    try:
        pair = _ip("link", "add", f"psdp{os.getpid() % 100000}", "type", "veth", "peer", "name",
                   f"psdq{os.getpid() % 100000}", "netns", probe, check=False)
        if pair.returncode != 0:
            return f"`ip link add … type veth` failed: {pair.stderr.strip()}"
        _ip("link", "del", f"psdp{os.getpid() % 100000}", check=False)
    finally:
        _ip("netns", "del", probe, check=False)
    return None


def free_subnet_index():
    """A K for which none of 10.231.K.0/24 and 10.232.K.0/24 is in use on this machine."""
    used = _ip("-4", "-o", "addr", "show").stdout
    for offset in range(250):
        k = (os.getpid() + offset) % 250 + 1
        if f"10.231.{k}." not in used and f"10.232.{k}." not in used:
            return k
    raise RuntimeError("no free 10.231-232.K.0/24 subnet")


class NetworkNamespace:
    """One namespace `name`, veth `host_if` (host side, `host_address`/30) to `ns_if` inside
    (`address`/30)."""

    def __init__(self, name, index, subnet):
        tag = f"{os.getpid() % 100000}{index}"
        self.name = f"presignd-{os.getpid()}-{index}"
        self.host_if = f"psdh{tag}"[:15]
        self.ns_if = f"psdn{tag}"[:15]
        self.host_address = f"{subnet}.1"
        self.address = f"{subnet}.2"
        self.network = f"{subnet}.0/30"
        self.created = False

    def create(self):
        _ip("netns", "add", self.name)
        self.created = True
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if, "netns", self.name)
        _ip("addr", "add", f"{self.host_address}/30", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        self.exec("ip", "addr", "add", f"{self.address}/30", "dev", self.ns_if)
        self.exec("ip", "link", "set", self.ns_if, "up")
        self.exec("ip", "link", "set", "lo", "up")
        return self

    def prefix(self):
        return ["ip", "netns", "exec", self.name]

    def exec(self, *command):
        return subprocess.run([*self.prefix(), *command], check=True, capture_output=True, text=True)

    def pids(self):
        out = _ip("netns", "pids", self.name, check=False).stdout
        return [int(p) for p in out.split()]

    def destroy(self):
        """Kills what still runs inside (only this run's processes can be there), then deletes the
        namespace; its veth end goes with it and takes the host end along."""
        if not self.created:
            return
        for pid in self.pids():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        _ip("netns", "del", self.name, check=False)
        _ip("link", "del", self.host_if, check=False)
        self.created = False


class NamespacedPresignd(Presignd):
    """`presignd serve --listen ADDRESS:PORT` inside `namespace`: FastCGI over TCP on the
    namespace's veth address, as on a host of its own."""

    def __init__(self, workdir, namespace, port=9000, **options):
        super().__init__(workdir, mode="tcp", **options)
        self.namespace = namespace
        self.port = port

    @property
    def upstream(self):
        return f"{self.namespace.address}:{self.port}"

    def command(self):
        return [*self.namespace.prefix(), binary(), "serve", "--listen", self.upstream, *self.extra_args]

    def kill_host(self):
        """SIGKILL the supervisor and every worker at once: the host is gone, nothing drains."""
        pids = [self.pid, *self.worker_pids()]
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        return pids


UPSTREAM_HEADER = "X-Presignd-Upstream"


class TwoHostNginx(Nginx):
    """The harness's nginx, its upstream block replaced by the shipped two-host example with the
    namespaces' addresses, and $upstream_addr sent back to the client (every host nginx tried,
    in order: "10.232.K.2:9000, 10.231.K.2:9000" for a request retried on the second)."""

    def __init__(self, prefix, upstreams):
        super().__init__(prefix, upstreams[0], keepalive=8,
                         extra_location_lines=f"    add_header {UPSTREAM_HEADER} $upstream_addr always;")
        self.upstreams = upstreams

    def write_config(self):
        path = super().write_config()
        example = (NGINX_DIR / "presignd-two-hosts.conf.example").read_text()
        assert example.count("server 10.0.0.11:9000 ") == 1 and example.count("server 10.0.0.12:9000 ") == 1
        example = example.replace("server 10.0.0.11:9000 ", f"server {self.upstreams[0]} ").replace(
            "server 10.0.0.12:9000 ", f"server {self.upstreams[1]} ")
        block = "\n".join("    " + line if line else line for line in example.splitlines()) + "\n"
        text, replaced = re.subn(r"    upstream presignd \{.*?\n    \}\n", lambda _: block, path.read_text(), flags=re.S)
        assert replaced == 1, "example-server.conf no longer has one upstream block"
        path.write_text(text)
        return path


@contextlib.contextmanager
def two_hosts(root, env, workers=2, threads=8, **host_env):
    """Two namespaces (a and b, on free 10.231.K.0/30 and 10.232.K.0/30), one PostgreSQL that
    listens on their host-side addresses (migrated with `env`), and presignd serving FastCGI over
    TCP in each, under root/host-a and root/host-b, reaching PostgreSQL over its own veth pair
    (`host_env` added to its environment); yields ([host_a, host_b], postgres). Everything that
    started is stopped by PID in reverse, the cluster removed and the namespaces deleted."""
    from .stack import migrate
    root = pathlib.Path(root)
    k = free_subnet_index()
    spaces = [NetworkNamespace("a", 1, f"10.231.{k}"), NetworkNamespace("b", 2, f"10.232.{k}")]
    hosts, pg = [], None
    try:
        for space in spaces:
            space.create()
        pg = ReachablePostgresCluster([s.host_address for s in spaces], [s.network for s in spaces])
        env = dict(env, DATABASE_URL=pg.url)
        migrate(env)
        for space in spaces:
            # Each host reaches PostgreSQL over its own veth pair, as over a network.
            own = dict(env, DATABASE_URL=f"postgresql://postgres@{space.host_address}:{pg.port}/presignd", **host_env)
            host = NamespacedPresignd(root / f"host-{space.name}", space, workers=workers, threads=threads, env=own)
            hosts.append(host)
            host.start()
        yield hosts, pg
    finally:
        try:
            for host in reversed(hosts):
                try:
                    host.stop(timeout=20)
                finally:
                    host.kill()
        finally:
            if pg is not None:
                pg.destroy()
            for space in spaces:
                space.destroy()
