#!/usr/bin/env bash
# Multipart benchmark: builds release (presignd and presignd-bench), then
#  1. in process: CPU per presigned UploadPart URL (+ Content-Length) next to presign GET/PUT, their
#     bare SHA-256 + HMAC bounds and botocore's upload_part URL, in one run (a markdown table);
#  2. bench/multipart.py: the sign-batch route (100 part URLs per request) under wrk next to
#     /healthz and presign through nginx, then a 1 GiB multipart upload through the routes to
#     ministack, verified by size and SHA-256 on download.
# Knobs: SCRATCH_PATH (swift build directory, default .build), SIGNING_SCALE (1), SKIP_BUILD=1 (use
# what SCRATCH_PATH holds), SKIP_SIGNING=1, SKIP_FLOWS=1, and bench/multipart.py's MULTIPART_* / UPLOAD_* variables.
set -euo pipefail
# presignd-bench comes from the same build: always build (or SKIP_BUILD=1 reuse) it, never a given binary.
unset PRESIGND_BINARY
. "$(dirname "$0")/common.sh"

if [ "${SKIP_SIGNING:-}" != 1 ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    # The full presignd-bench run (all rows; the table keeps the three SigV4 URL rows), then botocore.
    "$scratch/release/presignd-bench" "${SIGNING_SCALE:-1}" > "$work/presignd.tsv"
    "$python" - "$work/presignd.tsv" "${SIGNING_SCALE:-1}" <<'PY'
import sys
sys.path.insert(0, "bench")
from signing_botocore import URLS, client, per_call

ours = {}
for line in open(sys.argv[1]):
    name, n, ns, ops = line.rstrip("\n").split("\t")
    ours[name] = (int(ns), int(ops))
scale = int(sys.argv[2])
key = "media/u-3f2a9c1b/6f1c2e0a-5b7d-4c3e-9a1f-2b8d7e6c5a4b.mp4"
upload_id = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
cases = dict(URLS, **{
    "presign UploadPart (+ Content-Length)": lambda: client.generate_presigned_url(
        "upload_part", Params={"Bucket": "examplebucket", "Key": key, "UploadId": upload_id, "PartNumber": 7,
                               "ContentLength": 16777216}, ExpiresIn=3600),
})
theirs = {name: per_call(body, 3000 * scale) * 1e9 for name, body in cases.items()}
print("| signature | presignd µs CPU | presignd /s | crypto alone µs (bound) | botocore µs CPU | presignd vs botocore |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for name, bound in [("presign GET", "bound: presign GET (SHA-256 + HMAC)"),
                    ("presign PUT + Content-Type", "bound: presign PUT (SHA-256 + HMAC)"),
                    ("presign UploadPart (+ Content-Length)", "bound: presign UploadPart (SHA-256 + HMAC)")]:
    ns, ops = ours[name]
    print(f"| {name} | {ns / 1000:.2f} | {ops:,} | {ours[bound][0] / 1000:.2f} | {theirs[name] / 1000:.1f} | {theirs[name] / ns:.0f}× |")
PY
fi

if [ "${SKIP_FLOWS:-}" != 1 ]; then
    PRESIGND_BINARY="$scratch/release/presignd" "$python" bench/multipart.py
fi
