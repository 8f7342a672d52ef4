"""Media edge benchmark (not a test), issue 23 §4. One stack (PostgreSQL, ministack, presignd
MEDIA_WORKERS x MEDIA_THREADS, default 2 x 16) with TWO nginx instances in front of the same
presignd, and two parts:

1. Throughput, wrk side by side in one run (rows alternating over MEDIA_ROUNDS rounds, medians):
   - the same 10 kB image served by nginx from disk (a static location with no open_file_cache:
     the floor the issue names), and again from a location with open_file_cache, as the new
     media location has (for a fair comparison);
   - presignd's GET /healthz (one FastCGI round trip that does no work), for context;
   - today's route: a second nginx rendered from nginx/presignd.conf and nginx/example-server.conf
     as they were at MEDIA_BASELINE_REV (default a1017ac, read with `git show`): every /media
     request is a FastCGI round trip to presignd, whose X-Accel-Redirect sends nginx to an
     internal location with proxy_cache (presignd still answers that way when nginx does not ask
     for a decision);
   - the new route (nginx/render-example.sh's configuration, as the integration tests run it):
     auth_request's decision kept by nginx for the rest of its half second, the image from
     proxy_cache through the image server.
   Both media rows are warmed (the first request a MISS, the next a HIT, by X-Presignd-Cache) with
   valid ECDSA P-256 cookies (all four: CloudFront-Policy, -Signature, -Key-Pair-Id and
   Presignd-Media), and every row must have 0 bad responses. Reported: req/s, p50, p99, CPU per
   request of presignd and of nginx (both instances, from /proc), presignd's media requests per
   1,000 image requests (from its /metrics), the ratios new/static, new/today and new/healthz
   against the targets (>= 0.5x and >= 1.5x).
2. Revocation reach, MEDIA_REVOKE_TRIALS trials (default 5), a fresh user each: the user's image
   cached and its decision warm, MEDIA_REVOKE_THREADS threads (default 8) request it in a tight
   loop through the new nginx, and MEDIA_REVOKE_API_THREADS (default 2) GET /api/documents with
   a token issued before; `presignd revoke --user U` (the same binary and environment) runs, and
   each request's send time and status are kept. Reported, relative to the moment the command
   returned: the last success sent, and when every thread had had its first refusal (403 for
   the image, 401 for the API), p50 and max over the trials.

Knobs: MEDIA_SECONDS (8), MEDIA_CONNECTIONS (16), MEDIA_ROUNDS (3), MEDIA_WORKERS (2),
MEDIA_THREADS (16), MEDIA_KEEPALIVE (8, each nginx's upstream keepalive), MEDIA_BASELINE_REV
(a1017ac), MEDIA_REVOKE_TRIALS (5), MEDIA_REVOKE_THREADS (8), MEDIA_REVOKE_API_THREADS (2);
PRESIGND_BINARY: the release presignd. presignd's threads must cover every kept FastCGI
connection of both nginx instances plus wrk's concurrent ones (one thread per connection).
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from common import CPU, ROOT, SECRET, Stopping, children, run_wrk, start_peers, token
from harness.common import API, upload_ready
from harness.common import cdn_cookies as harness_cdn_cookies
from harness.hammer import Hammer
from harness.nginx import Nginx, free_port
from harness.presignd import binary
from harness.stack import migrate, stack_env, start_stack, stop_stack

SECONDS = int(os.environ.get("MEDIA_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("MEDIA_CONNECTIONS", "16"))
ROUNDS = int(os.environ.get("MEDIA_ROUNDS", "3"))
WORKERS = int(os.environ.get("MEDIA_WORKERS", "2"))
THREADS = int(os.environ.get("MEDIA_THREADS", "16"))
KEEPALIVE = int(os.environ.get("MEDIA_KEEPALIVE", "8"))
BASELINE_REV = os.environ.get("MEDIA_BASELINE_REV", "a1017ac")
REVOKE_TRIALS = int(os.environ.get("MEDIA_REVOKE_TRIALS", "5"))
REVOKE_THREADS = int(os.environ.get("MEDIA_REVOKE_THREADS", "8"))
REVOKE_API_THREADS = int(os.environ.get("MEDIA_REVOKE_API_THREADS", "2"))
IMAGE = b"\x89PNG\r\n\x1a\n" + os.urandom(10 * 1024 - 8)

STATIC = "nginx, the file from disk (no open_file_cache)"
STATIC_OFC = "nginx, the file from disk, open_file_cache"
HEALTHZ = "presignd GET /healthz"
TODAY = f"today's route ({BASELINE_REV}): FastCGI + X-Accel-Redirect, cached"
NEW = "new route: auth_request decision cache, cached"


def git_show(rev, path):
    try:
        out = subprocess.run(["git", "-C", ROOT, "show", f"{rev}:{path}"], capture_output=True, text=True)
    except FileNotFoundError:
        sys.exit("media.py: git is not installed: today's route is nginx/presignd.conf and nginx/example-server.conf "
                 f"at MEDIA_BASELINE_REV ({rev}), read with `git show`; install git or run from a clone")
    if out.returncode != 0:
        sys.exit(f"media.py: `git show {rev}:{path}` failed (MEDIA_BASELINE_REV={rev}; is {ROOT} a git clone "
                 f"with that commit?): {out.stderr.strip()}")
    return out.stdout


class BaselineNginx(Nginx):
    """nginx rendered from the example configuration at MEDIA_BASELINE_REV (today's route):
    {{…}} filled in here, presignd.conf and fastcgi_params copied next to it, its proxy cache
    under its own prefix. Started and stopped as the harness's Nginx."""

    def write_config(self):
        for sub in ("conf", "logs", "tmp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "conf"
        shutil.copy("/etc/nginx/fastcgi_params", conf / "fastcgi_params")
        (conf / "presignd.conf").write_text(git_show(BASELINE_REV, "nginx/presignd.conf"))
        self.port = free_port()
        import grp
        import pwd
        values = {"USER": f"{pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name}",
                  "NGINX_WORKERS": self.workers, "PREFIX": self.prefix, "ACCESS_LOG": "off", "UPSTREAM": self.upstream,
                  "KEEPALIVE": f"keepalive {self.keepalive};" if self.keepalive else "", "PORT": self.port}
        text = git_show(BASELINE_REV, "nginx/example-server.conf")
        for name, value in values.items():
            text = text.replace("{{" + name + "}}", str(value))
        left = re.findall(r"\{\{[A-Z_]+\}\}", text)
        assert not left, f"placeholders left in the {BASELINE_REV} configuration: {left}"
        assert "proxy_cache_path " + str(self.prefix) in text, "the baseline's media cache is not under its prefix"
        (conf / "nginx.conf").write_text(text)
        return conf / "nginx.conf"


class MediaCPU(CPU):
    """common.CPU with "nginx" summed over both nginx instances (the idle one costs ~0)."""

    def __init__(self, server, proxies, pg):
        super().__init__([server], proxies[0], pg)
        self.groups["nginx"] = lambda: [p for x in proxies for p in (x.process.pid, *children(x.process.pid))]


def media_requests(base):
    """presignd's count of requests on the media route so far (all statuses, from /metrics)."""
    text = requests.get(base + "/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('presignd_http_requests_total{') and 'route="/media/' in line)


def upload_image(base, user):
    return upload_ready(API(base, secret=SECRET), user, data=IMAGE)["key"]


def cdn_cookies(base, user):
    return harness_cdn_cookies(base, token(user))


def warm(url, cookie, what):
    """First request a MISS (fetched from the store), the next a HIT from nginx's cache."""
    first = requests.get(url, headers={"Cookie": cookie}, timeout=30)
    assert first.status_code == 200 and first.content == IMAGE, (what, first.status_code, first.text[:300])
    assert first.headers.get("X-Presignd-Cache") == "MISS", (what, first.headers.get("X-Presignd-Cache"))
    again = requests.get(url, headers={"Cookie": cookie}, timeout=30)
    assert again.status_code == 200 and again.content == IMAGE, (what, again.status_code)
    assert again.headers.get("X-Presignd-Cache") == "HIT", (what, again.headers.get("X-Presignd-Cache"))


def throughput(base, rows, cpu):
    results = {name: [] for name in rows}
    for _ in range(ROUNDS):
        for name, (url, extra) in rows.items():
            before = media_requests(base)
            result = run_wrk(url, "get-cookie.lua", extra, CONNECTIONS, SECONDS, cpu)
            result["presignd_media"] = media_requests(base) - before
            assert result["bad"] == 0, (name, result)
            results[name].append(result)
    med = {name: {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p99")}
           for name, runs in results.items()}
    for name, runs in results.items():
        med[name]["presignd"] = statistics.median(r["cpu_us"]["presignd"] for r in runs)
        med[name]["nginx"] = statistics.median(r["cpu_us"]["nginx"] for r in runs)
        med[name]["per1000"] = statistics.median(r["presignd_media"] * 1000 / max(r["requests"], 1) for r in runs)
    print(f"| row ({len(IMAGE):,} B image) | req/s | p50 ms | p99 ms | presignd µs CPU/req | nginx µs CPU/req | "
          f"presignd media requests per 1,000 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, m in med.items():
        media = f"{m['per1000']:,.1f}" if name in (TODAY, NEW) else "–"
        print(f"| {name} | {m['rps']:,.0f} | {m['p50']:.2f} | {m['p99']:.2f} | {m['presignd']:.1f} | {m['nginx']:.0f} | {media} |")
    print(f"\nwrk -t2 -c{CONNECTIONS} -d{SECONDS}s per row, the rows alternating over {ROUNDS} rounds, medians; "
          f"presignd {WORKERS} workers x {THREADS} threads, each nginx 1 worker with upstream keepalive {KEEPALIVE}; "
          "nginx µs is both instances' CPU. The first static row has no open_file_cache, the new media location has one "
          "(so does the second static row).")

    def verdict(ratio, target):
        return f"{ratio:.2f}x (target >= {target}x: {'met' if ratio >= target else 'missed'})"

    new = med[NEW]["rps"]
    print(f"\nnew / static (no open_file_cache): {verdict(new / med[STATIC]['rps'], 0.5)}")
    print(f"new / static with open_file_cache: {new / med[STATIC_OFC]['rps']:.2f}x")
    print(f"new / today's route: {verdict(new / med[TODAY]['rps'], 1.5)}")
    print(f"new / healthz: {new / med[HEALTHZ]['rps']:.2f}x")
    print(f"presignd per cached image request, new design: {med[NEW]['presignd']:.1f} µs CPU "
          f"({med[NEW]['per1000']:.2f} presignd requests per 1,000 images: one decision per half second per "
          f"user, address and URL); today's route: {med[TODAY]['presignd']:.1f} µs "
          f"({med[TODAY]['per1000']:.0f} per 1,000)")
    return med


def revocation_trial(base, env, n):
    user = f"revoke-{n}-{uuid.uuid4().hex[:8]}"
    key = upload_image(base, user)
    cookie = cdn_cookies(base, user)
    url = f"{base}/media/{key}"
    warm(url, cookie, "revocation image")
    issued = int(time.time()) - 5
    bearer = {"Authorization": "Bearer " + jwt.encode({"sub": user, "iat": issued, "exp": issued + 3600}, SECRET, algorithm="HS256")}
    assert requests.get(base + "/api/documents", headers=bearer, timeout=10).status_code == 200
    attempts = ([("media", lambda s: s.get(url, headers={"Cookie": cookie}, timeout=10))] * REVOKE_THREADS +
                [("api", lambda s: s.get(base + "/api/documents", headers=bearer, timeout=10))] * REVOKE_API_THREADS)
    refused = {"media": 403, "api": 401}
    with Hammer(attempts) as hammer:
        time.sleep(1.0)
        started = time.monotonic()
        out = subprocess.run([binary(), "revoke", "--user", user], env=env, capture_output=True, text=True, timeout=30)
        returned = time.monotonic()
        assert out.returncode == 0, out.stderr
        # Until every thread has been refused and 1.5 s have passed since (late successes would show).
        deadline = returned + 15
        while time.monotonic() < deadline:
            firsts = [next((sent for sent, status in list(r) if status == refused[kind]), None)
                      for (kind, _), r in zip(attempts, hammer.results)]
            if all(f is not None for f in firsts) and time.monotonic() > max(firsts) + 1.5:
                break
            time.sleep(0.1)
    trial = {"command_ms": (returned - started) * 1000}
    for kind in ("media", "api"):
        runs = [r for (k, _), r in zip(attempts, hammer.results) if k == kind]
        if not runs:
            continue
        statuses = {s for r in runs for _, s in r}
        assert statuses <= {200, refused[kind]}, (kind, statuses)
        before = [s for r in runs for sent, s in r if sent < started]
        assert before and all(s == 200 for s in before), f"{kind}: every request before the revocation succeeded"
        firsts = [next(sent for sent, s in r if s == refused[kind]) for r in runs]
        last_ok = max(sent for r in runs for sent, s in r if s == 200)
        # A success after that thread's own first refusal would mean the edge flip-flopped.
        flips = sum(1 for r, first in zip(runs, firsts) for sent, s in r if s == 200 and sent > first)
        trial[kind] = {"last_ok_ms": (last_ok - returned) * 1000, "first_all_ms": (max(firsts) - returned) * 1000,
                       "first_any_ms": (min(firsts) - returned) * 1000, "flips": flips,
                       "requests": sum(len(r) for r in runs)}
    return trial


def revocation(base, env):
    trials = [revocation_trial(base, env, n) for n in range(REVOKE_TRIALS)]
    print(f"\nRevocation reach through the new nginx: {REVOKE_TRIALS} trials, a fresh user each, its image cached and "
          f"its decision warm; {REVOKE_THREADS} threads GET the image and {REVOKE_API_THREADS} GET /api/documents "
          "(token issued 5 s before) in tight loops; times from when `presignd revoke --user` returned "
          f"(the command itself: p50 {statistics.median(t['command_ms'] for t in trials):.0f} ms, "
          f"max {max(t['command_ms'] for t in trials):.0f} ms).\n")
    print("| requests | last success sent, p50 ms | max ms | every thread refused from, p50 ms | max ms | "
          "first refusal (any thread), p50 ms | max ms | successes after a refusal | requests per trial |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind, label in (("media", "GET /media/<key> (cached image, 403 once revoked)"),
                        ("api", "GET /api/documents (401 once revoked)")):
        got = [t[kind] for t in trials if kind in t]
        if not got:
            continue

        def col(field):
            values = [g[field] for g in got]
            return f"{statistics.median(values):.0f} | {max(values):.0f}"
        print(f"| {label} | {col('last_ok_ms')} | {col('first_all_ms')} | {col('first_any_ms')} | "
              f"{sum(g['flips'] for g in got)} | {statistics.median(g['requests'] for g in got):,.0f} |")
    print("\nper trial (media: last success / every thread refused; api: the same), ms: " + "; ".join(
        f"{t['media']['last_ok_ms']:.0f}/{t['media']['first_all_ms']:.0f}"
        + (f", {t['api']['last_ok_ms']:.0f}/{t['api']['first_all_ms']:.0f}" if "api" in t else "") for t in trials))


def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-media-")
    git_show(BASELINE_REV, "nginx/presignd.conf")  # fail before starting anything
    with Stopping() as stopped:
        stopped.append(lambda: shutil.rmtree(work, ignore_errors=True))
        pg, s3 = start_peers(stopped)
        key_path = os.path.join(work, "cf.pem")
        with open(key_path, "wb") as f:
            f.write(ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        static = os.path.join(work, "image.png")
        with open(static, "wb") as f:
            f.write(IMAGE)
        env = stack_env(pg, s3, None, SECRET, PRESIGND_CDN_DOMAIN="cdn.app.test", PRESIGND_CDN_PATH_PATTERN="/avatars/*",
                        PRESIGND_CLOUDFRONT_KEY_PAIR_ID="KBENCHEC256", PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=key_path)
        migrate(env)
        server, proxy = start_stack(
            work, env, workers=WORKERS, threads=THREADS, keepalive=KEEPALIVE,
            extra_server_lines=f"        location = /static/image.png {{ alias {static}; }}\n"
                               f"        location = /static-ofc/image.png {{ alias {static}; "
                               "open_file_cache max=10000 inactive=20s; open_file_cache_valid 1s; }")
        stopped.append(lambda: stop_stack(server, proxy))
        old = BaselineNginx(os.path.join(work, "nginx-baseline"), server.upstream, keepalive=KEEPALIVE).start()
        stopped.append(old.stop)
        base, old_base = proxy.url, old.url

        key = upload_image(base, "bench")
        cookie = cdn_cookies(base, "bench")
        new_url, old_url = f"{base}/media/{key}", f"{old_base}/media/{key}"
        warm(old_url, cookie, "today's route")
        warm(new_url, cookie, "new route")
        for path in ("/static/image.png", "/static-ofc/image.png"):
            assert requests.get(base + path, timeout=30).content == IMAGE

        cpu = MediaCPU(server, [proxy, old], pg)
        rows = {STATIC: (base + "/static/image.png", {}),
                STATIC_OFC: (base + "/static-ofc/image.png", {}),
                HEALTHZ: (base + "/healthz", {}),
                TODAY: (old_url, {"FLOWS_COOKIE": cookie}),
                NEW: (new_url, {"FLOWS_COOKIE": cookie})}
        throughput(base, rows, cpu)
        for url, what in ((old_url, "today's route"), (new_url, "new route")):
            after = requests.get(url, headers={"Cookie": cookie}, timeout=30)
            assert after.status_code == 200 and after.headers.get("X-Presignd-Cache") == "HIT", (what, "after the run")

        revocation(base, env)
        for name, nginx in (("new", proxy), ("baseline", old)):
            errors = [line for line in nginx.error_log().splitlines() if "[error]" in line or "[crit]" in line or "[alert]" in line]
            if errors:
                print(f"\n{name} nginx logged {len(errors)} errors, first: {errors[0]}", file=sys.stderr)


if __name__ == "__main__":
    main()
