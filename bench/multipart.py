"""Multipart benchmark (not a test), two parts on one stack (PostgreSQL, ministack, presignd,
nginx on loopback, started like bench/flows.py and the integration tests):

1. wrk through nginx, side by side in one run: GET /healthz, POST /api/uploads/presign, and
   POST /api/uploads/{id}/parts signing 100 part URLs (and 1, for the fixed cost) of a
   multipart upload with 100 parts; req/s, p50/p99, signed URLs/s, and CPU per request of
   presignd, nginx and PostgreSQL read from /proc (wrk's own from getrusage).
2. A 1 GiB multipart upload through the routes (create, sign in batches of <= 100, PUT the parts
   straight to ministack from UPLOAD_PARALLEL threads, complete), each call timed client-side;
   then the object is downloaded through /api/documents/{id}/download and its size and SHA-256
   are checked against what was sent (both streamed).

Prints markdown tables. Knobs: MULTIPART_SECONDS (10), MULTIPART_CONNECTIONS (16),
MULTIPART_WORKERS (2), MULTIPART_THREADS (8), UPLOAD_MIB (1024), UPLOAD_PART_MIB (16),
UPLOAD_PARALLEL (4), UPLOAD_RUNS (1); MULTIPART_PERF=FILE runs the 100-part row once more under
`perf record` on the workers and prints the top symbols to stderr. PRESIGND_BINARY: the release presignd.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from common import CPU, SECRET, Stopping, children, run_wrk, start_peers, token, wrk_knobs
from harness.stack import migrate, stack_env, start_stack, stop_stack

SECONDS, CONNECTIONS, WORKERS, THREADS = wrk_knobs("MULTIPART")
UPLOAD_MIB = int(os.environ.get("UPLOAD_MIB", "1024"))
PART_MIB = int(os.environ.get("UPLOAD_PART_MIB", "16"))
PARALLEL = int(os.environ.get("UPLOAD_PARALLEL", "4"))
RUNS = int(os.environ.get("UPLOAD_RUNS", "1"))
MIB = 1 << 20
PURPOSES = {
    "document": {"prefix": "documents", "maxSize": 65536},
    "media": {"prefix": "media", "maxSize": 8 << 30},
}


def wrk(url, script, env, cpu):
    """run_wrk with MULTIPART_CONNECTIONS and MULTIPART_SECONDS (media.py, metrics.py and soak.py
    set these knobs from their own and run wrk through here)."""
    return run_wrk(url, script, env, CONNECTIONS, SECONDS, cpu)


def api(base, method, path, auth, body=None):
    r = requests.request(method, base + path, json=body, headers=auth, timeout=120)
    if r.status_code != 200:
        raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
    return r.json()


def throughput(base, auth, cpu):
    """Part 1: the signing routes under wrk, next to /healthz and presign, in one run."""
    parts = 100
    upload = api(base, "POST", "/api/uploads/multipart", auth,
                 {"purpose": "media", "fileName": "bench.bin", "contentType": "application/octet-stream",
                  "fileSize": parts * PART_MIB * MIB})
    assert upload["partCount"] == parts, upload
    batch = {"partNumbers": list(range(1, parts + 1))}
    path = f"/api/uploads/{upload['fileId']}/parts"
    signed = requests.post(base + path, json=batch, headers=auth, timeout=10)
    assert signed.status_code == 200 and len(signed.json()["parts"]) == parts, signed.text[:300]
    one = requests.post(base + path, json={"partNumbers": [7]}, headers=auth, timeout=10)
    assert one.status_code == 200, one.text
    presign = {"purpose": "document", "fileName": "bench.pdf", "contentType": "application/pdf", "fileSize": 4}
    token_env = {"FLOWS_TOKEN": auth["Authorization"].split(" ", 1)[1]}
    rows = [
        ("GET /healthz (no auth, no database)", 0, wrk(base + "/healthz", "get-auth.lua", token_env, cpu)),
        ("POST /api/uploads/presign (POST policy + INSERT row and audit)", 1,
         wrk(base + "/api/uploads/presign", "post-json.lua", dict(token_env, FLOWS_BODY=json.dumps(presign)), cpu)),
        (f"POST /api/uploads/{{id}}/parts, {parts} part numbers", parts,
         wrk(base + path, "post-json.lua", dict(token_env, FLOWS_BODY=json.dumps(batch)), cpu)),
        ("POST /api/uploads/{id}/parts, 1 part number", 1,
         wrk(base + path, "post-json.lua", dict(token_env, FLOWS_BODY=json.dumps({"partNumbers": [7]})), cpu)),
    ]
    if os.environ.get("MULTIPART_PERF"):
        # Once more under `perf record` (cpu-clock) on presignd's workers; not in the table.
        out = os.environ["MULTIPART_PERF"]
        workers = ",".join(str(p) for p in children(cpu.server_pid))
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-g", "-o", out, "-p", workers,
                                 "--", "sleep", str(SECONDS)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wrk(base + path, "post-json.lua", dict(token_env, FLOWS_BODY=json.dumps(batch)), cpu)
        perf.wait(timeout=SECONDS + 60)
        report = subprocess.run(["perf", "report", "-i", out, "--no-children", "--sort", "symbol", "--stdio", "-g", "none",
                                 "--percent-limit", "1"], capture_output=True, text=True).stdout
        print("\nperf (cpu-clock) of presignd's workers, 100-part batches, symbols over 1 %:\n", file=sys.stderr)
        print("\n".join(line for line in report.splitlines() if line.strip() and not line.startswith("#")), file=sys.stderr)
    api(base, "DELETE", f"/api/uploads/{upload['fileId']}", auth)
    return rows, len(signed.content), len(one.content), len(json.dumps(batch))


def make_file(path, size):
    """Random bytes on disk (so generating them is not timed); returns their SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 * MIB))
            digest.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def put_parts(urls, part_size, count, path):
    """PUTs every part to its presigned URL from PARALLEL threads (one keep-alive session
    each), reading each part from the file; returns [(number, etag, seconds)]."""
    local = threading.local()

    def put(n):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        part = urls[n]
        with open(path, "rb") as f:
            f.seek((n - 1) * part_size)
            data = f.read(part["size"])
        t0 = time.perf_counter()
        r = session.put(part["url"], data=data, timeout=300)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"part {n}: {r.status_code} {r.text[:300]}")
        return n, r.headers["ETag"], elapsed

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(put, range(1, count + 1)))


def direct_upload(s3, path, size, part_size):
    """The same upload with no presignd: boto3 against ministack for create and complete, URLs
    presigned in this process by botocore, the same PUT code. The store's own cost of the
    calls presignd makes for the client (CreateMultipartUpload, CompleteMultipartUpload)."""
    client = s3.client()
    key = f"direct/{time.time_ns()}.bin"
    count = (size + part_size - 1) // part_size
    timings = {}
    started = time.perf_counter()
    t = time.perf_counter()
    upload_id = client.create_multipart_upload(Bucket=s3.bucket, Key=key, ContentType="application/octet-stream")["UploadId"]
    timings["create"] = time.perf_counter() - t
    t = time.perf_counter()
    urls = {}
    for n in range(1, count + 1):
        length = min(part_size, size - (n - 1) * part_size)
        urls[n] = {"size": length, "url": client.generate_presigned_url(
            "upload_part", Params={"Bucket": s3.bucket, "Key": key, "UploadId": upload_id, "PartNumber": n}, ExpiresIn=3600)}
    timings["sign"] = time.perf_counter() - t
    t = time.perf_counter()
    done = put_parts(urls, part_size, count, path)
    timings["puts"] = time.perf_counter() - t
    timings["put_each"] = sorted(d[2] for d in done)
    t = time.perf_counter()  # the store calls presignd's completion adds: ListParts before, HeadObject after
    client.list_parts(Bucket=s3.bucket, Key=key, UploadId=upload_id)
    timings["list_parts"] = time.perf_counter() - t
    t = time.perf_counter()
    client.complete_multipart_upload(Bucket=s3.bucket, Key=key, UploadId=upload_id,
                                     MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e, _ in sorted(done)]})
    timings["complete"] = time.perf_counter() - t
    timings["wall"] = time.perf_counter() - started
    t = time.perf_counter()
    assert client.head_object(Bucket=s3.bucket, Key=key)["ContentLength"] == size
    timings["head"] = time.perf_counter() - t
    timings["wall"] -= timings["list_parts"]  # not part of a direct upload
    client.delete_object(Bucket=s3.bucket, Key=key)
    return timings


def upload_file(base, auth, path, size):
    """Part 2: one multipart upload through the routes; returns timings and the file id."""
    timings = {"create": 0.0, "sign": 0.0, "complete": 0.0, "puts": 0.0, "sign_calls": 0}
    started = time.perf_counter()
    t = time.perf_counter()
    upload = api(base, "POST", "/api/uploads/multipart", auth,
                 {"purpose": "media", "fileName": "big.bin", "contentType": "application/octet-stream", "fileSize": size})
    timings["create"] = time.perf_counter() - t
    count, part_size = upload["partCount"], upload["partSize"]
    urls = {}
    for first in range(1, count + 1, 100):  # as the browser client does: batches of 100
        t = time.perf_counter()
        signed = api(base, "POST", f"/api/uploads/{upload['fileId']}/parts", auth,
                     {"partNumbers": list(range(first, min(first + 100, count + 1)))})
        timings["sign"] += time.perf_counter() - t
        timings["sign_calls"] += 1
        urls.update({p["partNumber"]: p for p in signed["parts"]})

    t = time.perf_counter()
    done = put_parts(urls, part_size, count, path)
    timings["puts"] = time.perf_counter() - t
    timings["put_each"] = sorted(d[2] for d in done)
    t = time.perf_counter()
    body = {"parts": [{"partNumber": n, "etag": etag} for n, etag, _ in sorted(done)]}
    timings["complete_503"] = 0
    for attempt in range(4):  # presignd gives its store calls 5 s; a slow completion answers 503, retried
        r = requests.post(base + f"/api/uploads/{upload['fileId']}/complete", json=body, headers=auth, timeout=120)
        if r.status_code != 503 or attempt == 3:
            break
        timings["complete_503"] += 1
        time.sleep(1)
    if r.status_code != 200:
        raise RuntimeError(f"complete: {r.status_code} {r.text}")
    result = r.json()
    timings["complete"] = time.perf_counter() - t
    timings["wall"] = time.perf_counter() - started
    assert result["status"] == "ready" and result["size"] == size, result
    return upload, timings


def download(base, auth, file_id):
    """Size and SHA-256 of the stored object, streamed through its presigned GET URL."""
    d = api(base, "GET", f"/api/documents/{file_id}/download", auth)
    digest, size = hashlib.sha256(), 0
    t = time.perf_counter()
    with requests.get(d["url"], stream=True, timeout=300) as r:
        r.raise_for_status()
        for chunk in r.iter_content(1 * MIB):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest(), time.perf_counter() - t


def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-multipart-")
    with Stopping() as stopped:
        stopped.append(lambda: shutil.rmtree(work, ignore_errors=True))
        pg, s3 = start_peers(stopped)
        env = stack_env(pg, s3, PURPOSES, SECRET, PRESIGND_MULTIPART_PART_SIZE=str(PART_MIB * MIB))
        migrate(env)
        # nginx/example-server.conf may declare a proxy cache under the prefix; nginx wants its parent.
        os.makedirs(os.path.join(work, "nginx", "cache"), exist_ok=True)
        server, proxy = start_stack(work, env, workers=WORKERS, threads=THREADS, keepalive=CONNECTIONS)
        stopped.append(lambda: stop_stack(server, proxy))
        base = proxy.url
        auth = {"Authorization": "Bearer " + token("bench-user")}
        cpu = CPU([server], proxy, pg)

        rows, batch_bytes, one_bytes, body_bytes = throughput(base, auth, cpu)
        print(f"\nSigning routes through nginx -> presignd ({WORKERS} workers x {THREADS} threads, nginx keepalive {CONNECTIONS}), "
              f"wrk -t{min(2, CONNECTIONS)} -c{CONNECTIONS} -d{SECONDS}s; {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}\n")
        print("| what | req/s | p50 ms | p99 ms | signed URLs/s | presignd CPU µs/req | nginx µs/req | PostgreSQL µs/req | wrk µs/req | failed |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, urls, r in rows:
            c = r["cpu_us"]
            print(f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['rps'] * urls:,.0f} | "
                  f"{c['presignd']:.0f} | {c['nginx']:.0f} | {c['postgres']:.0f} | {c['wrk']:.0f} | {r['bad']} |")
        hundred, single = rows[2][2]["cpu_us"]["presignd"], rows[3][2]["cpu_us"]["presignd"]
        print(f"\nResponse bodies: {batch_bytes:,} bytes for 100 parts ({batch_bytes / 100:.0f} per part), {one_bytes} for one; "
              f"request body {body_bytes} bytes. presignd CPU per extra URL in a batch: "
              f"({hundred:.0f} - {single:.0f}) / 99 = {(hundred - single) / 99:.1f} µs.")

        size = UPLOAD_MIB * MIB
        path = os.path.join(work, "upload.bin")
        sent_hash = make_file(path, size)
        print(f"\n{UPLOAD_MIB} MiB multipart upload, {PART_MIB} MiB parts, {PARALLEL} parallel PUTs straight to ministack, "
              f"each call timed client-side; through presignd (create, sign, complete are its routes via nginx) and, "
              f"as the control, direct (boto3 create/complete against ministack, botocore-presigned part URLs)\n")
        print("| run | path | wall s | create ms | sign ms (calls) | complete ms | create + sign + complete ms | share of wall | "
              "part PUTs s | PUT p50 / max s | MB/s | download s | size ok | SHA-256 ok |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
        added = []
        for run in range(1, RUNS + 1):
            d = direct_upload(s3, path, size, PART_MIB * MIB)
            upload, t = upload_file(base, auth, path, size)
            got_size, got_hash, down = download(base, auth, upload["fileId"])
            for name, x, verified in (("presignd", t, (got_size, got_hash, down)), ("direct", d, None)):
                ours = x["create"] + x["sign"] + x["complete"]
                each = x["put_each"]
                calls = f" ({x['sign_calls']})" if "sign_calls" in x else " (in process)"
                retried = f" ({x['complete_503']} × 503 first)" if x.get("complete_503") else ""
                check = (f"{down:.2f} | {'yes' if got_size == size else f'NO ({got_size})'} | {'yes' if got_hash == sent_hash else 'NO'}"
                         if verified else "— | yes (HEAD) | —")
                print(f"| {run} | {name} | {x['wall']:.2f} | {x['create'] * 1e3:.1f} | {x['sign'] * 1e3:.1f}{calls} | "
                      f"{x['complete'] * 1e3:.1f}{retried} | {ours * 1e3:.1f} | {ours / x['wall'] * 100:.1f} % | {x['puts']:.2f} | "
                      f"{each[len(each) // 2]:.2f} / {each[-1]:.2f} | {size / 1e6 / x['wall']:.0f} | {check} |")
            # presignd's own share: its create and sign routes, plus what its completion adds to the
            # store's CompleteMultipartUpload (ListParts and HeadObject, timed in the control); the
            # completion itself is the store's work either way.
            own = t["create"] + t["sign"] + d["list_parts"] + d["head"]
            added.append((own, t, d))
            sys.stdout.flush()
        print()
        for run, (own, t, d) in enumerate(added, 1):
            print(f"Run {run}: presignd's own time {own * 1e3:.1f} ms (create {t['create'] * 1e3:.1f} + sign {t['sign'] * 1e3:.1f} "
                  f"+ ListParts {d['list_parts'] * 1e3:.1f} + HeadObject {d['head'] * 1e3:.1f}) = {own / t['wall'] * 100:.2f} % "
                  f"of its {t['wall']:.2f} s upload; the store's CompleteMultipartUpload took {d['complete']:.2f} s in the control "
                  f"and presignd's complete route {t['complete']:.2f} s.")


if __name__ == "__main__":
    main()
