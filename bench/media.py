"""Media route benchmark (not a test): one stack (PostgreSQL, ministack, presignd 2 workers x 8
threads, nginx with upstream keepalive) and, side by side in one run, wrk against
  1. the same 10 kB image served by nginx from disk (the floor: no presignd, no store),
  2. presignd's GET /healthz (the FastCGI round trip with no work),
  3. GET /media/<key> with valid CloudFront cookies (ECDSA P-256 key, as the README recommends),
     the object already in nginx's cache: presignd checks the cookies and signs a GET, nginx
     serves the cached bytes.
Reports req/s, p50/p99, and CPU per request of presignd and nginx (from /proc), and the media
route's rate as a share of /healthz's (target >= 50 %). Rows alternate over MEDIA_ROUNDS rounds
(default 3) and the medians are printed. Knobs: MEDIA_SECONDS (8), MEDIA_CONNECTIONS (16),
MEDIA_ROUNDS (3); PRESIGND_BINARY: the release presignd.
"""
import os
import statistics
import tempfile

os.environ.setdefault("MULTIPART_SECONDS", os.environ.get("MEDIA_SECONDS", "8"))
os.environ.setdefault("MULTIPART_CONNECTIONS", os.environ.get("MEDIA_CONNECTIONS", "16"))

import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

import multipart  # noqa: E402  (its knobs and wrk with them: MULTIPART_SECONDS, _CONNECTIONS, _WORKERS, _THREADS)
from common import CPU, SECRET, Stopping, start_peers, token  # noqa: E402
from harness.stack import migrate, stack_env, start_stack, stop_stack  # noqa: E402

ROUNDS = int(os.environ.get("MEDIA_ROUNDS", "3"))
IMAGE = b"\x89PNG\r\n\x1a\n" + os.urandom(10 * 1024 - 8)


def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-media-")
    with Stopping() as stopped:
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
        server, proxy = start_stack(work, env, workers=multipart.WORKERS, threads=multipart.THREADS, keepalive=16,
                                    extra_server_lines=f"        location = /static/image.png {{ alias {static}; }}")
        stopped.append(lambda: stop_stack(server, proxy))
        base = proxy.url
        auth = {"Authorization": f"Bearer {token('bench')}"}

        p = requests.post(base + "/api/uploads/presign", headers=auth, timeout=30,
                          json={"purpose": "avatar", "fileName": "me.png", "contentType": "image/png", "fileSize": len(IMAGE)}).json()
        assert requests.post(p["url"], data=list(p["fields"].items()), files={"file": ("me.png", IMAGE)}, timeout=30).ok
        assert requests.post(base + "/api/uploads/confirm", headers=auth, json={"fileId": p["fileId"]}, timeout=30).ok
        issued = requests.post(base + "/api/auth/cdn-cookies", headers=auth, timeout=30)
        cookie = "; ".join(c.split(";", 1)[0] for c in issued.raw.headers.getlist("Set-Cookie"))
        media_url = f"{base}/media/{p['key']}"
        warm = requests.get(media_url, headers={"Cookie": cookie}, timeout=30)
        assert warm.status_code == 200 and warm.content == IMAGE, warm.status_code
        assert requests.get(media_url, headers={"Cookie": cookie}, timeout=30).headers["X-Presignd-Cache"] == "HIT"
        assert requests.get(base + "/static/image.png", timeout=30).content == IMAGE

        cpu = CPU([server], proxy, pg)
        rows = {"nginx, the file from disk": (base + "/static/image.png", "get-cookie.lua", {}),
                "presignd GET /healthz": (base + "/healthz", "get-cookie.lua", {}),
                "GET /media/<key>, cached, ECDSA cookies": (media_url, "get-cookie.lua", {"FLOWS_COOKIE": cookie})}
        results = {name: [] for name in rows}
        for _ in range(ROUNDS):
            for name, (url, script, extra) in rows.items():
                result = multipart.wrk(url, script, extra, cpu)
                assert result["bad"] == 0, (name, result)
                results[name].append(result)
        print(f"| path ({len(IMAGE)} B image) | req/s | p50 ms | p99 ms | presignd µs/req | nginx µs/req |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        medians = {}
        for name, runs in results.items():
            medians[name] = statistics.median(r["rps"] for r in runs)
            print(f"| {name} | {medians[name]:,.0f} | {statistics.median(r['p50'] for r in runs):.2f} | "
                  f"{statistics.median(r['p99'] for r in runs):.2f} | {statistics.median(r['cpu_us']['presignd'] for r in runs):.0f} | "
                  f"{statistics.median(r['cpu_us']['nginx'] for r in runs):.0f} |")
        share = medians["GET /media/<key>, cached, ECDSA cookies"] / medians["presignd GET /healthz"]
        print(f"\nmedia route / healthz: {share:.0%} (target >= 50 %); medians of {ROUNDS} alternating rounds")


if __name__ == "__main__":
    main()
