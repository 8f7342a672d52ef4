"""PgBouncer (Debian's, 1.18) in front of a PostgresCluster, on a free loopback port: one
database entry per pool mode, `<database>_session` and `<database>_transaction`, both for the
cluster's database. A session pool holds a server connection per client connection for as long
as the client stays (presignd's connections stay), so it gets `session_pool_size` of them; the
transaction pool shares `transaction_pool_size` among all clients. PgBouncer refuses to run as root, so as root it runs as `postgres` (like
the cluster). Stopped by PID."""
import os
import pwd
import shutil
import signal
import subprocess
import tempfile

from harness.nginx import wait_for_listener
from harness.postgres import free_port

PGBOUNCER = os.environ.get("PRESIGND_PGBOUNCER", "/usr/sbin/pgbouncer")


class PgBouncer:
    def __init__(self, cluster, session_pool_size=16, transaction_pool_size=2):
        self.cluster = cluster
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="presignd-pgbouncer-")
        self.log = os.path.join(self.root, "pgbouncer.log")
        users = os.path.join(self.root, "userlist.txt")
        with open(users, "w") as f:
            f.write('"postgres" ""\n')
        target = f"host=127.0.0.1 port={cluster.port} dbname={cluster.database}"
        config = os.path.join(self.root, "pgbouncer.ini")
        with open(config, "w") as f:
            f.write(f"""[databases]
{cluster.database}_session = {target} pool_mode=session pool_size={session_pool_size}
{cluster.database}_transaction = {target} pool_mode=transaction pool_size={transaction_pool_size}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
logfile = {self.log}
pidfile = {self.root}/pgbouncer.pid
max_client_conn = 200
server_reset_query = DISCARD ALL
""")
        demote = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for path in (self.root, users, config):
                os.chown(path, pw.pw_uid, pw.pw_gid)

            def demote():
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)
        # PgBouncer itself is the child (not a runuser in between, which would not pass the
        # stop signal on), so stop() ends it by its own PID.
        self.process = subprocess.Popen([PGBOUNCER, config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        preexec_fn=demote)
        try:
            wait_for_listener(f"127.0.0.1:{self.port}", process=self.process)
        except BaseException:
            self.stop()
            raise

    def url(self, pool_mode):
        """A DATABASE_URL through PgBouncer to the pool of `pool_mode` (session, transaction)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.cluster.database}_{pool_mode}"

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # PgBouncer's immediate shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
