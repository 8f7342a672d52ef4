"""Threads that repeat one request each as fast as they can, recording (sent, status) per
request: how the revocation test and bench/media.py watch the moment a request starts failing."""
import threading
import time

import requests


class Hammer:
    """`attempts`: [(name, callable(session) -> response)], one thread each; `results[i]` is
    attempt i's [(monotonic send time, status)] (status 0: no answer). A context manager: the
    threads run inside the `with` block."""

    def __init__(self, attempts):
        self.attempts = attempts
        self.results = [[] for _ in attempts]
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(len(attempts))]

    def run(self, i):
        session = requests.Session()
        call = self.attempts[i][1]
        while not self.stopping.is_set():
            sent = time.monotonic()
            try:
                status = call(session).status_code
            except requests.RequestException:
                status = 0
            self.results[i].append((sent, status))

    def by_name(self):
        """{name: [(sent, status)]}, attempts of one name together."""
        named = {}
        for (name, _), results in zip(self.attempts, self.results):
            named.setdefault(name, []).extend(list(results))
        return named

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=30)
