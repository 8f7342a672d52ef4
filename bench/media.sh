#!/usr/bin/env bash
# Media edge benchmark (issue 23 §4). First, when presignd-bench is there, the in-process CPU per
# CloudFront cookie verification (RSA-2048 and ECDSA P-256, with and without the cache); then
# bench/media.py, in one run: a cached 10 kB image through the new media route (nginx's
# auth_request decision cache, proxy_cache) next to today's route (a second nginx configured as
# at MEDIA_BASELINE_REV, default a1017ac, in front of the same presignd), the same file from
# nginx's disk and presignd's /healthz; then how long a `presignd revoke --user` takes to reach
# cached images and API requests. Needs git (the baseline configuration is read with git show).
#   PRESIGND_BINARY=/path/to/release/presignd bench/media.sh   measures that binary, builds nothing;
#       the cookie rows need presignd-bench from the same build: PRESIGND_BENCH, by default
#       presignd-bench next to PRESIGND_BINARY; without it they are skipped (said on stderr).
#   bench/media.sh   builds release (presignd and presignd-bench) in SCRATCH_PATH (swift build's
#       directory) unless SKIP_BUILD=1, and runs both parts.
# bench/media.py's knobs (MEDIA_SECONDS, MEDIA_ROUNDS, MEDIA_WORKERS, ...) are in its docstring.
set -euo pipefail
given=""
if [ -n "${PRESIGND_BINARY:-}" ]; then
    PRESIGND_BINARY=$(realpath "$PRESIGND_BINARY")
    given=1
fi
[ -n "${PRESIGND_BENCH:-}" ] && PRESIGND_BENCH=$(realpath "$PRESIGND_BENCH")
. "$(dirname "$0")/common.sh"
if [ -n "$given" ]; then
    bench=${PRESIGND_BENCH:-$(dirname "$PRESIGND_BINARY")/presignd-bench}
else
    bench=${PRESIGND_BENCH:-$scratch/release/presignd-bench}
fi

if [ -f "$bench" ] && [ -x "$bench" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    "$python" -c "import json; print(json.load(open('Tests/PresigndCoreTests/Vectors/public.json'))['cloudfront_key']['private_key_pem'], end='')" > "$work/rsa.pem"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ec.pem" 2>/dev/null
    echo "| cookie check | µs CPU | per second |"
    echo "| --- | ---: | ---: |"
    "$bench" 1 "$work/rsa.pem" "$work/ec.pem" | awk -F'\t' '/^verify cookies/ { printf "| %s | %.1f | %s |\n", substr($1, 16), $3 / 1000, $4 }'
    echo
else
    echo "media.sh: no presignd-bench at $bench: the in-process cookie rows are skipped (set PRESIGND_BENCH)" >&2
fi
"$python" bench/media.py
