"""A plain HTTP proxy in front of the S3 server that records every request it forwards (method,
path, query, Range header), so a test can count what the store received. It forwards the request
as it came (the Host header included, so SigV4 signatures made for the proxy's address verify at
the store) and the answer as the store gave it."""
from __future__ import annotations

import http.client
import http.server
import threading
import time
import urllib.parse


class CountingProxy:
    def __init__(self, upstream: str):
        target = urllib.parse.urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self.requests: list[tuple[str, str, str, str | None]] = []
        # Every request's arrival (monotonic seconds), method, path, query and the body bytes received.
        self.transfers: list[tuple[float, str, str, str, int]] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                split = urllib.parse.urlsplit(self.path)
                with proxy.lock:
                    proxy.requests.append((self.command, urllib.parse.unquote(split.path), split.query, self.headers.get("Range")))
                    # The bytes that arrived: fewer than announced when the client died mid-body.
                    proxy.transfers.append((time.monotonic(), self.command, urllib.parse.unquote(split.path), split.query,
                                            len(body) if body else 0))
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                try:
                    headers = {name: value for name, value in self.headers.items() if name.lower() != "connection"}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    self.send_response_only(answer.status, answer.reason)
                    for name, value in answer.getheaders():
                        # A HEAD answer keeps the store's Content-Length: the object's size.
                        if name.lower() in ("connection", "transfer-encoding") or (
                                name.lower() == "content-length" and self.command != "HEAD"):
                            continue
                        self.send_header(name, value)
                    if self.command != "HEAD":
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def part_puts(self, since: float) -> list[tuple[float, int, int]]:
        """(arrival, part number, bytes received) of every multipart part sent to the store after `since`."""
        with self.lock:
            transfers = list(self.transfers)
        return [(at, int(query.split("partNumber=")[1].split("&")[0]), length)
                for at, method, _, query, length in transfers if at >= since and method == "PUT" and "partNumber=" in query]

    def seen(self, method: str, key: str) -> list[tuple[str, str, str, str | None]]:
        """The requests for `key` (any bucket) with that method, in order."""
        with self.lock:
            return [r for r in self.requests if r[0] == method and r[1].endswith("/" + key)]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
