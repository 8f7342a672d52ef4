#!/usr/bin/env bash
# Signing throughput: presignd in-process (release build) next to the bare HMAC/SHA-256 (or RSA)
# work on the same inputs, and botocore on the same machine in the same run. Prints a markdown
# table. Usage: bench/signing.sh [scale]   (SCRATCH=.build-x to use another build directory)
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-1}"
python="${PYTHON:-.venv/bin/python}"
[ -x "$python" ] || { echo "no Python venv at .venv (deploy/test.sh creates it)" >&2; exit 1; }
build=(swift build -c release --product presignd-bench)
[ -n "${SCRATCH:-}" ] && build+=(--scratch-path "$SCRATCH")
"${build[@]}" >/dev/null
bin="$("${build[@]}" --show-bin-path)/presignd-bench"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -c "import json,sys; print(json.load(open('Tests/PresigndCoreTests/Vectors/public.json'))['cloudfront_key']['private_key_pem'], end='')" > "$work/cf.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ec.pem" 2>/dev/null
"$bin" "$scale" "$work/cf.pem" "$work/ec.pem" > "$work/presignd.tsv"
"$python" bench/signing_botocore.py "$work/cf.pem" "$scale" > "$work/botocore.tsv"

"$python" - "$work/presignd.tsv" "$work/botocore.tsv" <<'PY'
import sys
ours = {}
for line in open(sys.argv[1]):
    name, n, ns, ops = line.rstrip("\n").split("\t")
    ours[name] = (int(ns), int(ops))
theirs = {}
for line in open(sys.argv[2]):
    name, n, ns, ops = line.rstrip("\n").split("\t")
    theirs[name] = (int(ns), int(ops))
bounds = {
    "presign GET": "bound: presign GET (SHA-256 + HMAC)",
    "presign PUT + Content-Type": "bound: presign PUT (SHA-256 + HMAC)",
    "POST policy": "bound: POST policy (HMAC of policy)",
    "CloudFront cookies (RSA-2048, SHA-1)": "bound: CloudFront (RSA-2048 sign alone)",
}
print("| signature | presignd µs CPU | presignd /s | crypto alone µs (bound) | botocore µs CPU | botocore /s | presignd vs botocore |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, bound in bounds.items():
    if name not in ours:
        continue
    ns, ops = ours[name]
    bns = ours[bound][0]
    tns, tops = theirs.get(name, (0, 0))
    ratio = f"{tns / ns:.0f}×" if tns else "n/a"
    print(f"| {name} | {ns / 1000:.2f} | {ops:,} | {bns / 1000:.2f} | {tns / 1000:.1f} | {tops:,} | {ratio} |")
extra = "CloudFront cookies (ECDSA P-256, SHA-256)"
if extra in ours:
    ns, ops = ours[extra]
    print(f"| {extra} | {ns / 1000:.2f} | {ops:,} | — | — | — | — |")
PY
