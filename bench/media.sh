#!/usr/bin/env bash
# Media route benchmark: builds release (presignd and presignd-bench), prints the in-process CPU
# per CloudFront cookie verification (RSA-2048 and ECDSA P-256, with and without the cache), then
# runs bench/media.py: a cached 10 kB image through the media route next to the same file from
# nginx's disk and presignd's /healthz, in one run. SCRATCH_PATH: swift build's directory.
set -euo pipefail
# presignd-bench comes from the same build: always build (or SKIP_BUILD=1 reuse) it, never a given binary.
unset PRESIGND_BINARY
. "$(dirname "$0")/common.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -c "import json; print(json.load(open('Tests/PresigndCoreTests/Vectors/public.json'))['cloudfront_key']['private_key_pem'], end='')" > "$work/rsa.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ec.pem" 2>/dev/null
echo "| cookie check | µs CPU | per second |"
echo "| --- | ---: | ---: |"
"$scratch/release/presignd-bench" 1 "$work/rsa.pem" "$work/ec.pem" | awk -F'\t' '/^verify cookies/ { printf "| %s | %.1f | %s |\n", substr($1, 16), $3 / 1000, $4 }'
echo
PRESIGND_BINARY="$scratch/release/presignd" "$python" bench/media.py
