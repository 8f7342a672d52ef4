"""A real nginx with its own prefix, temp dirs and a rendered copy of nginx/example-server.conf,
listening on a free loopback port. Stopped by PID; its exit status is checked."""
import pathlib
import signal
import socket
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
NGINX_DIR = ROOT / "nginx"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_listener(upstream, timeout=10.0, process=None):
    """Returns once `upstream` accepts a connection: "unix:/path" or "HOST:PORT", as nginx's
    upstream blocks name a server. RuntimeError as soon as `process` (when given) has exited,
    TimeoutError after `timeout` seconds."""
    if upstream.startswith("unix:"):
        family, address = socket.AF_UNIX, upstream[len("unix:"):]
    else:
        host, _, port = upstream.rpartition(":")
        family, address = socket.AF_INET, (host, int(port))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {upstream}")
        try:
            with socket.socket(family) as s:
                s.settimeout(0.2)
                s.connect(address)
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {upstream}")


def wait_for_port(port, timeout=10.0, process=None):
    wait_for_listener(f"127.0.0.1:{port}", timeout, process)


class Nginx:
    """nginx in front of `upstream` ("unix:/path" or "127.0.0.1:PORT")."""

    def __init__(self, prefix, upstream, keepalive=16, workers=1, extra_location_lines="", extra_server_lines="",
                 extra_http_lines=""):
        self.prefix = pathlib.Path(prefix)
        self.upstream = upstream
        self.keepalive = keepalive
        self.workers = workers
        self.extra_location_lines = extra_location_lines
        # More of the server {} block, e.g. a location serving a web page next to /api/.
        self.extra_server_lines = extra_server_lines
        # More of the http {} block, e.g. another server {} such as nginx/presignd-metrics.conf.
        self.extra_http_lines = extra_http_lines
        self.port = None
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def write_config(self):
        self.port = free_port()
        subprocess.run([str(NGINX_DIR / "render-example.sh"), str(self.prefix), self.upstream,
                        f"keepalive {self.keepalive};" if self.keepalive else "", str(self.port), "off", str(self.workers)],
                       check=True, capture_output=True)
        conf = self.prefix / "conf"
        if self.extra_location_lines:
            # What an operator adds for a different peer, e.g. fcgiwrap's SCRIPT_FILENAME.
            snippet = (conf / "presignd.conf").read_text()
            (conf / "presignd.conf").write_text(
                snippet.replace("    fastcgi_pass presignd;", self.extra_location_lines + "\n    fastcgi_pass presignd;"))
        text = (conf / "nginx.conf").read_text()
        if self.extra_server_lines:
            assert "        include presignd.conf;" in text, "example-server.conf no longer includes presignd.conf"
            text = text.replace("        include presignd.conf;", self.extra_server_lines + "\n        include presignd.conf;")
        if self.extra_http_lines:
            assert "    upstream presignd {" in text, "example-server.conf no longer defines the upstream"
            text = text.replace("    upstream presignd {", self.extra_http_lines + "\n    upstream presignd {")
        (conf / "nginx.conf").write_text(text)
        return conf / "nginx.conf"

    def start(self):
        conf = self.write_config()
        log = open(self.prefix / "logs" / "stderr.log", "wb")
        self.process = subprocess.Popen(
            ["nginx", "-p", str(self.prefix), "-c", str(conf), "-e", str(self.prefix / "logs" / "error.log")],
            stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, process=self.process)
        return self

    def error_log(self):
        path = self.prefix / "logs" / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # nginx's own worker processes are its children and exit with it.
        assert self.process.returncode == 0, f"nginx exited with {self.process.returncode}"
