"""A throwaway PostgreSQL cluster for integration tests.

initdb in a temp dir, listening on a free loopback port and a socket directory inside that
dir, started and stopped with pg_ctl. initdb and postgres refuse to run as root, so as root
the cluster runs as the `postgres` system user (created by Debian's postgresql package).
"""
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time

PG_BIN = os.environ.get("PRESIGND_PG_BIN", "/usr/lib/postgresql/15/bin")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """`settings` (optional) are more server settings, {name: value}, given as `-c name=value`
    after the defaults on every start (so they may also replace a default, e.g. shared_buffers)."""

    def __init__(self, database="presignd", settings=None):
        self._make_root("presignd-pg-", database, settings)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C.UTF-8")
        self.start()
        self._run("createdb", "-h", self.sockets, "-p", str(self.port), "-U", "postgres", self.database)

    def _make_root(self, prefix, database, settings=None):
        """A temp dir for the data directory, the socket directory and the log; a free port."""
        self.settings = dict(settings or {})
        self.root = tempfile.mkdtemp(prefix=prefix)
        self.data = os.path.join(self.root, "data")
        self.sockets = os.path.join(self.root, "sockets")
        self.log = os.path.join(self.root, "postgres.log")
        self.port = free_port()
        self.database = database
        os.makedirs(self.sockets)
        self.as_user = []
        if os.geteuid() == 0:
            # Run the server as `postgres`; it must own everything it touches.
            pw = pwd.getpwnam("postgres")
            os.chmod(self.root, 0o755)
            for path in (self.root, self.sockets):
                os.chown(path, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, tool, *args):
        subprocess.run(self.as_user + [os.path.join(PG_BIN, tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)

    @property
    def url(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def env(self):
        """libpq-style variables for a client (DATABASE_URL)."""
        return {"DATABASE_URL": self.url}

    def server_options(self, listen="127.0.0.1"):
        """postgres's options for pg_ctl -o (which hands them to a shell): the defaults, then
        the cluster's own settings, each quoted."""
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses={listen} "
                   "-c max_connections=200 -c shared_buffers=32MB")
        for name, value in self.settings.items():
            options += " -c " + shlex.quote(f"{name}={value}")
        return options

    def start(self):
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", self.server_options(), "-w", "-t", "30", "start")

    def stop(self, mode="fast"):
        """`immediate` kills the server without a clean shutdown, like a crash."""
        subprocess.run(self.as_user + [os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root)

    def psql(self, sql):
        """Runs SQL with psql; returns rows as lists of strings (unaligned, tab-separated)."""
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                              "-d", self.url, "-c", sql], check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PostgresStandby(PostgresCluster):
    """A streaming standby of `primary`: `pg_basebackup -R` over loopback TCP (initdb's
    pg_hba.conf trusts replication from 127.0.0.1), started on its own port, hot (it answers
    reads and refuses writes). `promote()` makes it a primary. Stopped and removed like any
    PostgresCluster."""

    def __init__(self, primary, name="presignd_standby"):
        self._make_root("presignd-pg-standby-", primary.database)
        self.name = name
        # application_name names this standby in the primary's synchronous_standby_names.
        self._run("pg_basebackup", "-d", f"host=127.0.0.1 port={primary.port} user=postgres application_name={name}",
                  "-D", self.data, "-R", "-X", "stream", "-c", "fast", "--no-sync")
        self.start()

    def promote(self):
        """`pg_ctl promote -w`: returns once the server has left recovery and takes writes."""
        self._run("pg_ctl", "-D", self.data, "-w", "-t", "30", "promote")

    def in_recovery(self):
        return self.psql("SELECT pg_is_in_recovery()")[0][0] == "t"

    def wait_for_replay(self, primary, timeout=20.0):
        """Waits until this standby has replayed everything `primary` has written so far."""
        target = primary.psql("SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0] == "t":
                return
            time.sleep(0.05)
        raise TimeoutError(f"standby did not replay up to {target}")


class ReachablePostgresCluster(PostgresCluster):
    """A PostgresCluster that also listens on `addresses` (e.g. the host side of veth pairs to
    network namespaces) and trusts clients from `networks` (CIDR strings), for presignd hosts
    that reach it over TCP from their own namespaces."""

    def __init__(self, addresses, networks, database="presignd"):
        self.addresses = list(addresses)
        self.networks = list(networks)
        super().__init__(database)

    def start(self):
        hba = os.path.join(self.data, "pg_hba.conf")
        with open(hba) as f:
            text = f.read()
        lines = [f"host all all {network} trust" for network in self.networks]
        missing = [line for line in lines if line not in text]
        if missing:
            with open(hba, "a") as f:
                f.write("\n" + "\n".join(missing) + "\n")
        listen = ",".join(["127.0.0.1", *self.addresses])
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", self.server_options(listen), "-w", "-t", "30", "start")
