"""Ceph RGW 16 (Debian 12's radosgw 16.2.15) as a second, real S3 implementation next to
ministack: one monitor, one memstore OSD, no manager, `auth none`, and radosgw on a free
127.0.0.1 port, run from the Debian packages unpacked with `dpkg -x` (nothing is installed
system-wide). Starts in about 2 s (the packages cached) and uses at most about 2 GiB of memory
(memstore).

Provenance: adapted from the recipe in the team's shared folder `ceph-rgw/` (README.md, up.sh,
start-ceph.sh, stop-ceph.sh), copied here because the tests must not depend on that folder.
Changes: free ports instead of the fixed 6789/7480 (so the monitor's address says `v1:`: a port
other than 6789 is taken for msgr2); the OSD is placed in the CRUSH map before it starts instead
of by itself (see the config); a shorter Paxos interval (12-14 s to start became 2 s); processes
are this module's children and stop() ends exactly those PIDs; the S3 user has an AWS-shaped
random key; readiness is polled here instead of by a shell loop; the debs and their unpacked
tree are cached across runs.

The packages are fetched once with `apt-get install --download-only` into a cache
($PRESIGND_CEPH_CACHE, default /var/cache/presignd-ceph, else ~/.cache/presignd-ceph when that
is not writable), and unpacked next to them. When they cannot be fetched this raises: the
fixture fails loudly rather than skip, so CI never silently runs without this peer.
`python3 harness/ceph_rgw.py --prepare` fetches and unpacks ahead of a test run (deploy/test.sh
does), `--start` starts one and prints its start time (Ctrl-C or SIGTERM stops it).
"""
from __future__ import annotations

import ctypes
import dataclasses
import fcntl
import glob
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid

import requests

if __package__ in (None, ""):  # run as a script (deploy/test.sh: --prepare): the harness's parent on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness.s3peer import S3Peer  # noqa: E402

PACKAGES = ("radosgw", "ceph-mon", "ceph-osd", "ceph-common")
REGION = "us-east-1"
# The system Python runs the `ceph` CLI: python3-rados in the unpacked tree is built for it.
SYSTEM_PYTHON = "/usr/bin/python3"
MULTIARCH = sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu"
LIB_DIRS = (f"usr/lib/{MULTIARCH}", f"usr/lib/{MULTIARCH}/ceph", f"lib/{MULTIARCH}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cache_dir() -> str:
    configured = os.environ.get("PRESIGND_CEPH_CACHE")
    if configured:
        return configured
    default = "/var/cache/presignd-ceph"
    parent = os.path.dirname(default)
    if os.access(default, os.W_OK) or (not os.path.exists(default) and os.access(parent, os.W_OK)):
        return default
    return os.path.join(os.path.expanduser("~"), ".cache", "presignd-ceph")


def _run(command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def _missing_debs(debs: str) -> list[str]:
    return [p for p in PACKAGES if not glob.glob(os.path.join(debs, f"{p}_*.deb"))]


def _download(debs: str) -> None:
    """apt-get the packages (and whatever they need that is not installed) into `debs`; runs
    `apt-get update` once and retries when the first attempt fails (empty or stale lists)."""
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    command = sudo + ["apt-get", "install", "-y", "-qq", "--download-only", "--no-install-recommends",
                      "-o", f"Dir::Cache::archives={debs}", *PACKAGES]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        out = _run(command, env=env, timeout=900)
        if out.returncode != 0:
            update = _run(sudo + ["apt-get", "update", "-qq"], env=env, timeout=900)
            out = _run(command, env=env, timeout=900)
            if out.returncode != 0:
                raise RuntimeError(
                    f"apt-get could not download {' '.join(PACKAGES)} into {debs} (exit {out.returncode}); "
                    f"apt-get update said: {update.stderr.strip()[-800:]}\n{out.stdout[-1500:]}{out.stderr[-1500:]}")
        # --download-only skips what is installed already; the packages themselves must be unpacked.
        missing = _missing_debs(debs)
        if missing:
            out = _run(["apt-get", "download", *missing], cwd=debs, env=env, timeout=900)
            if out.returncode != 0:
                raise RuntimeError(f"apt-get download {' '.join(missing)} failed: {out.stderr[-1500:]}")
    except FileNotFoundError as error:
        raise RuntimeError(f"cannot fetch the Ceph packages ({error}); on Debian 12 run deploy/test.sh, "
                           f"or put the debs of {' '.join(PACKAGES)} in {debs}") from error


def ensure_root(cache: str | None = None) -> str:
    """The unpacked tree of the packages (reused when it matches the cached debs); downloads and
    unpacks first when needed. Safe when two sessions prepare at once (a lock file)."""
    cache = cache or cache_dir()
    debs, root = os.path.join(cache, "debs"), os.path.join(cache, "root")
    os.makedirs(debs, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _missing_debs(debs):
            _download(debs)
        files = sorted(glob.glob(os.path.join(debs, "*.deb")))
        stamp = "\n".join(os.path.basename(f) for f in files) + "\n"
        stamp_path = os.path.join(root, ".presignd-unpacked")
        if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
            return root
        fresh = root + ".new"
        shutil.rmtree(fresh, ignore_errors=True)
        os.makedirs(fresh)
        for deb in files:
            out = _run(["dpkg-deb", "-x", deb, fresh], timeout=300)
            if out.returncode != 0:
                raise RuntimeError(f"dpkg-deb -x {deb} failed: {out.stderr}")
        with open(os.path.join(fresh, ".presignd-unpacked"), "w") as f:
            f.write(stamp)
        shutil.rmtree(root, ignore_errors=True)
        os.rename(fresh, root)
        return root


def _config(base: str, root: str, fsid: str, mon_port: int, rgw_port: int) -> str:
    lib = f"{root}/usr/lib/{MULTIARCH}"
    return f"""[global]
fsid = {fsid}
mon host = v1:127.0.0.1:{mon_port}
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = {base}/run
admin socket = {base}/run/$name.asok
log file = {base}/log/$name.log
mon cluster log file = {base}/log/cluster.log
pid file = {base}/run/$name.pid
plugin dir = {lib}/ceph
erasure code dir = {lib}/ceph/erasure-code
osd class dir = {lib}/rados-classes
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
# The monitor batches map changes for 1 s by default; radosgw's first start creates its pools one
# after another, each waiting for a new OSD map: 14 s to start with the defaults, 2 s with these.
paxos propose interval = 0.05
paxos min wait = 0.01
osd objectstore = memstore
memstore device bytes = 2147483648
osd data = {base}/osd/$id
mon data = {base}/mon/$id
osd crush chooseleaf type = 0
# No mon commands from the OSD's start (placed below with `ceph osd crush add` instead): with
# `auth none` the OSD can send them before it has the monitor's map, and its fsid is then zero
# ("wrong fsid", the OSD exits); about one start in four did.
osd crush update on start = false
osd class update on start = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw data = {base}/rgw
"""


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the test process dies without stop() (killed)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _aws_shaped_key() -> tuple[str, str]:
    upper = string.ascii_uppercase + string.digits
    access = "AKIA" + "".join(secrets.choice(upper) for _ in range(16))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
    return access, secret


@dataclasses.dataclass
class CephRGW(S3Peer):
    """A running single-node Ceph with radosgw; the same surface as harness/ministack.py's
    Ministack (endpoint, bucket, region, keys, env(), client(), stop())."""
    workdir: str
    root: str
    mon_port: int
    processes: dict = dataclasses.field(default_factory=dict)
    started_in: float = 0.0

    @property
    def conf(self) -> str:
        return os.path.join(self.workdir, "ceph.conf")

    def tool_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(LD_LIBRARY_PATH=":".join(os.path.join(self.root, d) for d in LIB_DIRS),
                   PYTHONPATH=os.path.join(self.root, "usr/lib/python3/dist-packages"))
        return env

    def tool(self, name: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Runs one of the unpacked tools (ceph-authtool, radosgw-admin …) with this cluster's conf."""
        exe = os.path.join(self.root, "usr/bin", name)
        command = [SYSTEM_PYTHON, exe] if name == "ceph" else [exe]
        return _run(command + ["-c", self.conf, *args], env=self.tool_env(), timeout=timeout)

    def admin(self, *args: str) -> str:
        """radosgw-admin with this cluster's conf; its stdout (RuntimeError when it fails)."""
        out = self.tool("radosgw-admin", *args)
        if out.returncode != 0:
            raise RuntimeError(f"radosgw-admin {' '.join(args)} failed ({out.returncode}): {out.stderr[-1500:]}")
        return out.stdout

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = open(os.path.join(self.workdir, "log", f"{name}.out"), "wb")
        process = subprocess.Popen([os.path.join(self.root, "usr/bin", name), "-c", self.conf, *args, "-f"],
                                   env=self.tool_env(), cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=_die_with_parent)
        log.close()
        self.processes[name] = process
        return process

    def logs(self, limit: int = 3000) -> str:
        texts = []
        for path in sorted(glob.glob(os.path.join(self.workdir, "log", "*"))):
            text = open(path, errors="replace").read()
            if text.strip():
                texts.append(f"--- {os.path.basename(path)}\n{text[-limit:]}")
        return "\n".join(texts)

    def stop(self) -> None:
        """Ends radosgw, the OSD and the monitor, one after the other (the OSD tells a running
        monitor it is going; with the monitor gone first it waits for it), each with SIGTERM and
        SIGKILL after 5 s (the state is thrown away), then removes the state directory."""
        for name in ("radosgw", "ceph-osd", "ceph-mon"):
            process = self.processes.get(name)
            if process is None:
                continue
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _check(out: subprocess.CompletedProcess, what: str) -> str:
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed ({out.returncode}): {out.stdout[-1500:]}{out.stderr[-1500:]}")
    return out.stdout


def start(timeout: float = 120.0) -> CephRGW:
    """Prepares the packages (ensure_root), starts mon, OSD and radosgw, creates an S3 user and a
    bucket; the caller must stop(). `started_in` is the seconds from the first process to a
    bucket that answers (the packages' download and unpacking are not counted)."""
    root = ensure_root()
    workdir = tempfile.mkdtemp(prefix="presignd-ceph-")
    for sub in ("run", "log", "mon/a", "osd/0", "rgw"):
        os.makedirs(os.path.join(workdir, sub))
    mon_port, port = free_port(), free_port()
    while port == mon_port:
        port = free_port()
    fsid = str(uuid.uuid4())
    with open(os.path.join(workdir, "ceph.conf"), "w") as f:
        f.write(_config(workdir, root, fsid, mon_port, port))
    access, secret = _aws_shaped_key()
    rgw = CephRGW(f"http://127.0.0.1:{port}", port, access, secret, "", REGION, workdir, root, mon_port)
    began = time.monotonic()
    deadline = began + timeout
    try:
        keyring, monmap = os.path.join(workdir, "mon.keyring"), os.path.join(workdir, "monmap")
        _check(_run([os.path.join(root, "usr/bin/ceph-authtool"), "--create-keyring", keyring, "--gen-key", "-n", "mon.",
                     "--cap", "mon", "allow *"], env=rgw.tool_env(), timeout=60), "ceph-authtool")
        _check(_run([os.path.join(root, "usr/bin/monmaptool"), "--create", "--addv", "a", f"[v1:127.0.0.1:{mon_port}]",
                     "--fsid", fsid, monmap], env=rgw.tool_env(), timeout=60), "monmaptool")
        _check(rgw.tool("ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring), "ceph-mon --mkfs")
        rgw.spawn("ceph-mon", "-i", "a")
        osd_uuid = str(uuid.uuid4())
        osd_id = _check(rgw.tool("ceph", "--connect-timeout", "60", "osd", "new", osd_uuid, timeout=90), "ceph osd new").strip()
        _check(rgw.tool("ceph", "--connect-timeout", "60", "osd", "crush", "add", f"osd.{osd_id}", "1.0", "root=default",
                        "host=localhost", timeout=90), "ceph osd crush add")
        _check(rgw.tool("ceph-osd", "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid, timeout=90), "ceph-osd --mkfs")
        rgw.spawn("ceph-osd", "-i", osd_id)
        rgw.spawn("radosgw", "-n", "client.rgw.a")
        # radosgw listens once it has created its pools, which needs the OSD up and its PGs active.
        while True:
            for name, process in rgw.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}")
            try:
                requests.get(rgw.endpoint + "/", timeout=1)
                break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("radosgw did not listen in time")
            time.sleep(0.2)
        rgw.admin("user", "create", f"--uid={access}", f"--display-name=presignd tests", f"--access-key={access}",
                  f"--secret-key={secret}")
        rgw.bucket = "presignd-" + uuid.uuid4().hex[:10]
        s3 = rgw.client()
        while True:
            try:
                s3.create_bucket(Bucket=rgw.bucket)
                s3.head_bucket(Bucket=rgw.bucket)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        rgw.started_in = time.monotonic() - began
        return rgw
    except BaseException as error:
        logs = rgw.logs()
        rgw.stop()
        if isinstance(error, Exception):
            raise RuntimeError(f"Ceph RGW did not start: {error}\n{logs}") from error
        raise


if __name__ == "__main__":
    if sys.argv[1:] == ["--prepare"]:
        print(f"Ceph packages unpacked in {ensure_root()}")
    elif sys.argv[1:] == ["--start"]:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        peer = start()
        print(f"radosgw on {peer.endpoint} (bucket {peer.bucket}, key {peer.access_key}) in {peer.started_in:.1f} s",
              flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
        finally:
            peer.stop()
    else:
        sys.exit("usage: ceph_rgw.py --prepare | --start")
