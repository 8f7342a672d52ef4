"""Events and webhooks benchmark (issue 22; not a test). One PostgreSQL, one ministack, and two
presignd stacks (2 workers x 8 threads behind nginx) on two databases of that cluster: `on`, with a
webhook endpoint (events written, one deliverer), and `off` (no events). Side by side in one run:

  1. confirm with events on (delivered to nginx answering 204) vs off: each side gets the same number of uploads already sent to the
     store, confirmed by 8 client threads, rounds alternating (WEBHOOK_ROUNDS, default 3; WEBHOOK_PARTS: confirm,e2e,down,throughput); req/s,
     p50/p99, and CPU per confirm of presignd and PostgreSQL (from /proc). `on` delivers with a
     separate `presignd deliver` (PRESIGND_WEBHOOK_DELIVERY=separate), so the deliverer's CPU and
     that of its PostgreSQL backend (the holder of the advisory lock) are counted apart, per event.
     Presign writes no event; its cost with events on and off is bench/floor.sh's (FLOOR_PRESIGND_ENV).
  2. end to end: confirms one at a time (every 20 ms) on `on`, the receiver (in this process,
     verifying with the standardwebhooks package) notes each arrival; p50/p99/max from the confirm's
     request to the receiver's 2xx.
  3. delivery throughput: WEBHOOK_EVENTS (20,000) events committed at once into `on`'s outbox, to
     nginx answering 204 (the receiver that costs least), timed until the last is recorded
     delivered; events/s and presignd's CPU per event.
  4. the API while the receiver is down (connections refused) and while it hangs (every attempt
     waits for the 10 s timeout): confirm p50/p99 next to the same with the receiver up.
PRESIGND_BINARY: the release presignd (bench/webhooks.sh builds it)."""
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from common import SECRET, Stopping, children, cpu_seconds, pg_pid, start_peers, token
from harness.common import PNG, post_form
from harness.nginx import free_port, wait_for_port
from harness.stack import migrate, stack_env, start_stack, stop_stack
from harness.webhook_receiver import Receiver

ROUNDS = int(os.environ.get("WEBHOOK_ROUNDS", "3"))
PER_ROUND = int(os.environ.get("WEBHOOK_CONFIRMS", "600"))
EVENTS = int(os.environ.get("WEBHOOK_EVENTS", "20000"))
PARTS = os.environ.get("WEBHOOK_PARTS", "confirm,e2e,down,throughput").split(",")
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PURPOSES = {"avatar": {"prefix": "avatars", "maxSize": 65536, "allowedType": "image/"}}


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Side:
    def __init__(self, name, pg, s3, work, extra):
        self.name = name
        pg.psql(f"CREATE DATABASE {name}")
        self.env = stack_env(pg, s3, PURPOSES, SECRET, **extra)
        self.env["DATABASE_URL"] = self.env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name
        migrate(self.env)
        self.server, self.proxy = start_stack(os.path.join(work, name), self.env, workers=2, threads=8)
        self.deliverer = None
        if extra.get("PRESIGND_WEBHOOK_DELIVERY") == "separate":
            self.deliverer = subprocess.Popen([os.environ["PRESIGND_BINARY"], "deliver"], env=self.env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.session = requests.Session()
        self.auth = {"Authorization": f"Bearer {token('bench')}"}

    def psql(self, sql):
        out = subprocess.run(["psql", self.env["DATABASE_URL"], "-XAtq", "-c", sql], capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def uploaded(self, count):
        """`count` uploads presigned and sent to the store, not confirmed yet."""
        def one(_):
            r = requests.post(self.proxy.url + "/api/uploads/presign", headers=self.auth, timeout=30,
                              json={"purpose": "avatar", "fileName": "me.png", "contentType": "image/png", "fileSize": len(PNG)})
            r.raise_for_status()
            assert post_form(r.json(), PNG).status_code in (200, 201, 204)
            return r.json()["fileId"]
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(one, range(count)))

    def confirm(self, file_id, session=None):
        start = time.monotonic()
        r = (session or requests).post(self.proxy.url + "/api/uploads/confirm", headers=self.auth, json={"fileId": file_id}, timeout=30)
        assert r.status_code == 200, r.text
        return start, time.monotonic() - start

    def deliverer_backend(self):
        """The PostgreSQL backend of the deliverer: the session holding the advisory lock."""
        if self.deliverer is None:
            return None
        pid = self.psql("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted LIMIT 1")
        return int(pid) if pid else None

    def cpu(self, pg):
        backend = self.deliverer_backend()
        backends = [p for p in [pg_pid(pg), *children(pg_pid(pg))] if p != backend]
        return {"presignd": cpu_seconds([self.server.pid, *children(self.server.pid)]), "postgres": cpu_seconds(backends),
                "deliverer": cpu_seconds([self.deliverer.pid]) if self.deliverer else 0.0,
                "deliverer_pg": cpu_seconds([backend]) if backend else 0.0}

    def stop(self):
        if self.deliverer is not None:
            self.deliverer.terminate()
            self.deliverer.wait()
        stop_stack(self.server, self.proxy)


def confirm_batch(side, pg, ids):
    local = threading.local()

    def one(file_id):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return side.confirm(file_id, local.session)[1]
    before, started = side.cpu(pg), time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        latencies = list(pool.map(one, ids))
    elapsed, after = time.monotonic() - started, side.cpu(pg)
    return {"rps": len(ids) / elapsed, "p50": percentile(latencies, 50) * 1e3, "p99": percentile(latencies, 99) * 1e3,
            "cpu": {k: (after[k] - before[k]) * 1e6 / len(ids) for k in after}}


def nginx_receiver(work):
    """nginx answering 204 to every POST: the cheapest receiver there is."""
    port = free_port()
    root = os.path.join(work, "receiver-nginx")
    os.makedirs(os.path.join(root, "logs"), exist_ok=True)
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; pid {root}/nginx.pid; error_log {root}/logs/error.log;
events {{}}
http {{ access_log off; client_body_buffer_size 64k;
  server {{ listen 127.0.0.1:{port}; keepalive_requests 1000000; location / {{ return 204; }} }} }}
""")
    process = subprocess.Popen(["nginx", "-p", root, "-c", conf, "-g", "daemon off;"])
    wait_for_port(port)
    return process, f"http://127.0.0.1:{port}/hooks"


def confirm_on_and_off(on, off, pg):
    print(f"## Confirm with events on and off ({ROUNDS} rounds of {PER_ROUND} confirms each, 8 client threads)\n")
    results = {"on": [], "off": []}
    for _ in range(ROUNDS):
        for name, side in (("off", off), ("on", on)):
            ids = side.uploaded(PER_ROUND)
            results[name].append(confirm_batch(side, pg, ids))
    print("| events | confirms/s | p50 ms | p99 ms | presignd serve µs CPU / confirm | its PostgreSQL µs / confirm "
          "| deliverer µs / event | its PostgreSQL backend µs / event |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in ("off", "on"):
        rs = results[name]
        med = lambda f: statistics.median(f(r) for r in rs)  # noqa: E731
        print(f"| {name} | {med(lambda r: r['rps']):.0f} | {med(lambda r: r['p50']):.2f} | {med(lambda r: r['p99']):.2f} | "
              f"{med(lambda r: r['cpu']['presignd']):.0f} | {med(lambda r: r['cpu']['postgres']):.0f} | "
              f"{med(lambda r: r['cpu']['deliverer']):.0f} | {med(lambda r: r['cpu']['deliverer_pg']):.0f} |")
    delivered = on.psql("SELECT count(*) FROM event_deliveries WHERE state = 'delivered'")
    print(f"\n(events on: {delivered} of {ROUNDS * PER_ROUND} events delivered to nginx answering 204 by the end)\n")


def end_to_end(on, receiver):
    ids = on.uploaded(300)
    time.sleep(2)  # earlier events delivered
    sent = {}
    for file_id in ids:
        sent[file_id] = on.confirm(file_id)[0]
        time.sleep(0.02)
    messages = receiver.wait_for(lambda ms: {m["data"]["id"] for m in ms} >= set(ids), timeout=60, what="the 300")
    arrived = {}
    for m in messages:
        arrived.setdefault(m["data"]["id"], m["at"])
    e2e = [(arrived[i] - sent[i]) * 1e3 for i in ids]
    print("## From confirm to the receiver's 2xx (300 confirms, one every 20 ms)\n")
    print("| p50 ms | p99 ms | max ms |")
    print("| ---: | ---: | ---: |")
    print(f"| {percentile(e2e, 50):.1f} | {percentile(e2e, 99):.1f} | {max(e2e):.1f} |\n")


def receiver_down(on, pg, receiver):
    print("## The API while the receiver is down (confirm, 8 client threads)\n")
    print("| receiver | confirms/s | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: |")
    for state in ("up", "down (refused)", "hanging (10 s timeouts)", "up again"):
        if state.startswith("down"):
            receiver.down()
        elif state.startswith("hanging"):
            receiver.up()
            receiver.slow_seconds = 30
            receiver.mode = "slow"
        elif state == "up again":
            receiver.slow_seconds = 0
            receiver.mode = "ok"
        ids = on.uploaded(PER_ROUND)
        r = confirm_batch(on, pg, ids)
        print(f"| {state} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} |")
    print()


def throughput(pg, s3, work, stopped, url):
    fast = Side("events_fast", pg, s3, work, {"PRESIGND_WEBHOOKS": json.dumps({"app": {"url": url, "secrets": [WHSEC]}}),
                                              "PRESIGND_WEBHOOK_DELIVERY": "separate"})
    stopped.append(fast.stop)
    body = json.dumps({"type": "upload.ready", "timestamp": "2026-12-07T20:00:00.000000Z", "data": {
        "id": "01a2523b-bd95-78e7-a087-8fa7fc97f6f9", "owner": "alice", "purpose": "avatar",
        "key": "avatars/alice/01a2523b-bd95-78e7-a087-8fa7fc97f6f9.png", "fileName": "me.png", "size": 520,
        "contentType": "image/png", "checksum": None, "reason": None}})
    time.sleep(1)
    before, started = fast.cpu(pg), time.monotonic()
    fast.psql(f"""WITH e AS (
                      INSERT INTO events (id, type, document_id, owner_id, purpose, at, body)
                      SELECT gen_random_uuid(), 'upload.ready', gen_random_uuid(), 'alice', 'avatar', now(),
                             '{body.replace("'", "''")}' FROM generate_series(1, {EVENTS})
                      RETURNING seq, document_id, at)
                  INSERT INTO event_deliveries (event_seq, endpoint, document_id, state, next_at)
                  SELECT seq, 'app', document_id, 'pending', at FROM e""")
    fast.psql("SELECT pg_notify('presignd_events', '')")  # as presignd announces what it committed
    while fast.psql("SELECT EXISTS (SELECT 1 FROM event_deliveries WHERE state = 'pending')") == "t":
        time.sleep(0.05)
    assert int(fast.psql("SELECT count(*) FROM event_deliveries WHERE state = 'delivered'")) == EVENTS
    elapsed, after = time.monotonic() - started, fast.cpu(pg)
    print(f"## Delivery throughput ({EVENTS} events committed at once, to nginx answering 204)\n")
    print("| events/s | deliverer µs CPU / event | its PostgreSQL backend µs / event | all of PostgreSQL µs / event |")
    print("| ---: | ---: | ---: | ---: |")
    print(f"| {EVENTS / elapsed:.0f} | {(after['deliverer'] - before['deliverer']) * 1e6 / EVENTS:.0f} | "
          f"{(after['deliverer_pg'] - before['deliverer_pg']) * 1e6 / EVENTS:.0f} | "
          f"{(after['postgres'] + after['deliverer_pg'] - before['postgres'] - before['deliverer_pg']) * 1e6 / EVENTS:.0f} |")


def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-webhooks-")
    receiver = Receiver(WHSEC)
    with Stopping() as stopped:
        stopped.append(receiver.stop)
        pg, s3 = start_peers(stopped)
        process, fast_url = nginx_receiver(work)
        stopped.append(lambda: (process.terminate(), process.wait()))
        if "confirm" in PARTS:
            # The receiver is nginx here (its own process): a receiver in this Python process would
            # take the client threads' interpreter lock, and slow only the side with events.
            on = Side("events_nginx", pg, s3, work, {"PRESIGND_WEBHOOKS": json.dumps({"app": {"url": fast_url, "secrets": [WHSEC]}}),
                                                      "PRESIGND_WEBHOOK_DELIVERY": "separate"})
            stopped.append(on.stop)
            off = Side("events_off", pg, s3, work, {})
            stopped.append(off.stop)
            confirm_on_and_off(on, off, pg)
            on.stop()
            stopped.remove(on.stop)
        if {"e2e", "down"} & set(PARTS):
            on = Side("events_on", pg, s3, work, {"PRESIGND_WEBHOOKS": json.dumps({"app": {"url": receiver.url, "secrets": [WHSEC]}}),
                                                   "PRESIGND_WEBHOOK_TIMEOUT_MS": "10000", "PRESIGND_WEBHOOK_DELIVERY": "separate"})
            stopped.append(on.stop)
            if "e2e" in PARTS:
                end_to_end(on, receiver)
            if "down" in PARTS:
                receiver_down(on, pg, receiver)
        if "throughput" in PARTS:
            throughput(pg, s3, work, stopped, fast_url)


if __name__ == "__main__":
    main()
