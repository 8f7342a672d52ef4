"""A webhook receiver on a loopback port, as an application beside presignd would run one: every
message is verified with the `standardwebhooks` package from PyPI (the specification's reference
library), never with presignd's own code, and recorded. `mode` says how it answers: "ok" (204),
"error" (500; or only each message's first `fail_first` attempts), "slow" (answers only after `slow_seconds`), "close" (drops the connection without an
answer) or "down" (its port refuses connections: the socket is closed)."""
import http.server
import json
import socket
import threading
import time

from standardwebhooks.webhooks import Webhook


class Receiver:
    def __init__(self, secret, port=0, slow_seconds=5.0, fail_first=0):
        self.webhook = Webhook(secret)
        self.slow_seconds = slow_seconds
        self.fail_first = fail_first  # in mode "ok", each message's first this many attempts get a 500
        self.tries = {}
        self.lock = threading.Lock()
        self.messages = []  # what verified: dicts of id, type, body (bytes), data, at (monotonic)
        self.attempts = []  # every request: (monotonic time, webhook-id, mode answered in)
        self.refused = []  # requests whose signature did not verify: (headers, body)
        self.mode = "ok"
        self.server = None
        self.port = port
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/presignd"

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                mode = receiver.mode
                with receiver.lock:
                    receiver.attempts.append((time.monotonic(), headers.get("webhook-id"), mode))
                if mode == "close":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if mode == "slow":
                    time.sleep(receiver.slow_seconds)
                with receiver.lock:
                    tries = receiver.tries[headers.get("webhook-id")] = receiver.tries.get(headers.get("webhook-id"), 0) + 1
                if mode == "error" or (mode == "ok" and tries <= receiver.fail_first):
                    self.answer(500, b"receiver broken")
                    return
                try:
                    data = receiver.webhook.verify(body, headers)
                except Exception as error:  # noqa: BLE001 - any refusal is recorded and answered 400
                    with receiver.lock:
                        receiver.refused.append((headers, body, str(error)))
                    self.answer(400, b"bad signature")
                    return
                with receiver.lock:
                    receiver.messages.append({"id": headers["webhook-id"], "type": data["type"], "body": body,
                                              "data": data["data"], "timestamp": data["timestamp"],
                                              "headers": headers, "at": time.monotonic()})
                self.answer(204, b"")

            def answer(self, status, text):
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        """Close the port: connections are refused until `up()`."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def up(self):
        if self.server is None:
            self.start()
        self.mode = "ok"

    def stop(self):
        self.down()

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def of_type(self, type_):
        return [m for m in self.snapshot() if m["type"] == type_]

    def for_document(self, document_id):
        return [m for m in self.snapshot() if m["data"]["id"] == document_id]

    def wait_for(self, predicate, timeout=30.0, what="messages"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.snapshot()
            if predicate(messages):
                return messages
            time.sleep(0.05)
        raise AssertionError(f"the receiver did not get {what} within {timeout} s: {len(self.snapshot())} verified, "
                             f"{len(self.attempts)} attempts, {len(self.refused)} refused; last types: "
                             f"{[(m['type'], m['data']['id'][-6:]) for m in self.snapshot()[-12:]]}")

    @staticmethod
    def body_json(message):
        return json.loads(message["body"])
