#!/usr/bin/env bash
# Starts the whole stack locally on a fresh Debian 12 machine with Swift: installs the system
# packages, builds the release binary, starts a throwaway PostgreSQL (schema applied with
# `presignd migrate`), ministack as a strict S3 server (IAM user key, bucket), presignd
# (prefork FastCGI workers on a unix socket) and a real nginx on a loopback port with the
# shipped config in front of it, prints a development token and curl commands that walk the
# upload / confirm / download / share / CDN-cookie flows, and stops everything on Ctrl-C.
#   PORT=8080 WORKERS=2 deploy/run-local.sh      (SCRATCH_PATH: swift build's directory)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
port=${PORT:-8080}
workers=${WORKERS:-2}

. deploy/setup-lib.sh
ensure_packages pkg-config libfcgi-dev libssl-dev libpq-dev libcurl4-openssl-dev nginx-light libnginx-mod-http-js libnginx-mod-http-image-filter curl postgresql python3-venv jq

echo "== building presignd (release)"
scratch=${SCRATCH_PATH:-$root/.build}
swift build -c release --scratch-path "$scratch" 2>&1 | tail -n 1
binary="$scratch/release/presignd"

venv="$root/.venv"
ensure_venv "$venv"

run="$root/.run"
prefix="$run/nginx"
rm -rf "$prefix"
nginx/render-example.sh "$prefix" "unix:$run/presignd.sock" "keepalive 8;" "$port" "$prefix/logs/access.log"
# The browser client and its demo page on the API's own origin: /app/presignd.js, /app/demo/.
sed -i "s|        include presignd.conf;|        include presignd.conf;\n        location /app/ { alias $root/client/; }|" "$prefix/conf/nginx.conf"

pids=()
cleanup() {
    trap - EXIT INT TERM
    echo
    echo "== stopping"
    # presignd and nginx first, the services they use last.
    for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; wait "${pids[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

echo "== starting PostgreSQL and ministack"
rm -f "$run/stack.env"
"$venv/bin/python" deploy/local_stack.py "$run" "$binary" >"$run/stack.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
    [ -f "$run/stack.env" ] && break
    kill -0 "${pids[0]}" 2>/dev/null || { echo "the backing services did not start; see $run/stack.log" >&2; cat "$run/stack.log" >&2; exit 1; }
    sleep 0.1
done
# shellcheck disable=SC1091
. "$run/stack.env"

# The bucket's CORS rule for the demo page's origins (and public access blocked, incomplete
# multipart uploads aborted): without it every browser upload fails with "Failed to fetch".
export PRESIGND_CORS_ORIGINS="http://app.localhost:$port,http://localhost:$port,http://127.0.0.1:$port"
"$binary" bucket-setup | sed 's/^/  /'

"$binary" serve --listen "$run/presignd.sock" --socket-mode 0660 --workers "$workers" 2>>"$run/presignd.log" &
pids+=($!)
nginx -p "$prefix" -c "$prefix/conf/nginx.conf" -e "$prefix/logs/error.log" &
pids+=($!)

for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
if ! curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null; then
    echo "presignd or nginx did not come up; see $run/presignd.log and $prefix/logs/error.log" >&2
    exit 1
fi

cat <<TRY

presignd is running behind nginx on http://127.0.0.1:$port ($workers workers, socket $run/presignd.sock).

Open the demo page (uploads with progress, multipart above 64 MiB, list, share, delete):
  http://app.localhost:$port/app/demo/?media=/media&sizes=thumb,small#token=$TOKEN_ALICE
It must be app.localhost, not 127.0.0.1: the CDN cookies are for .app.localhost, and a browser
refuses cookies for a domain the page is not on. Chromium and Firefox resolve *.localhost
to this machine by themselves. Bob's token, for sharing: $TOKEN_BOB

Try:
  curl -i http://127.0.0.1:$port/healthz
  curl -i http://127.0.0.1:$port/api/nothing-here                     # 404, JSON error body
  head -c 70000 /dev/zero | curl -i -H 'Content-Type: application/json' \\
       --data-binary @- http://127.0.0.1:$port/api/anything             # 413 body_too_large
  kill -HUP ${pids[1]}     # reload: new workers re-read the environment, no dropped requests
Logs: $run/presignd.log (presignd), $prefix/logs/ (nginx), $run/stack.log. Ctrl-C stops everything.

The product's flows (PostgreSQL at $DATABASE_URL, S3 at $AWS_ENDPOINT_URL_S3 bucket $PRESIGND_BUCKET).
Development tokens (HS256, 12 h) for alice and bob:
  . $run/stack.env       # sets TOKEN_ALICE, TOKEN_BOB and the service variables in your shell
  api=http://127.0.0.1:$port
  curl -s \$api/readyz
  # 1. presign an upload (POST form), send the file to S3 (fields first, file last), confirm
  printf 'hello, presignd\\n' > /tmp/hello.txt
  p=\$(curl -s -H "Authorization: Bearer \$TOKEN_ALICE" -H 'Content-Type: application/json' \\
       -d '{"purpose":"document","fileName":"hello.txt","contentType":"text/plain","fileSize":16}' \$api/api/uploads/presign)
  echo "\$p" | jq .
  form=(); while IFS= read -r kv; do form+=(--form-string "\$kv"); done < <(echo "\$p" | jq -r '.fields | to_entries[] | "\\(.key)=\\(.value)"')
  curl -s "\${form[@]}" -F file=@/tmp/hello.txt "\$(echo "\$p" | jq -r .url)"
  id=\$(echo "\$p" | jq -r .fileId)
  curl -s -H "Authorization: Bearer \$TOKEN_ALICE" -H 'Content-Type: application/json' -d "{\\"fileId\\":\\"\$id\\"}" \$api/api/uploads/confirm | jq .
  # 2. list, download (presigned GET with Content-Disposition), share with bob, revoke
  curl -s -H "Authorization: Bearer \$TOKEN_ALICE" \$api/api/documents | jq .
  curl -si "\$(curl -s -H "Authorization: Bearer \$TOKEN_ALICE" \$api/api/documents/\$id/download | jq -r .url)"
  curl -s -o /dev/null -w '%{http_code}\\n' -H "Authorization: Bearer \$TOKEN_BOB" \$api/api/documents/\$id/download   # 404
  curl -s -H "Authorization: Bearer \$TOKEN_ALICE" -H 'Content-Type: application/json' -d '{"userId":"bob"}' \$api/api/documents/\$id/shares
  curl -s -H "Authorization: Bearer \$TOKEN_BOB" \$api/api/documents/\$id/download | jq .                     # now allowed
  curl -s -X DELETE -H "Authorization: Bearer \$TOKEN_ALICE" \$api/api/documents/\$id/shares/bob
  # 3. CloudFront signed cookies for the CDN (verify with $run/cloudfront-public.pem), then log out
  curl -si -X POST -H "Authorization: Bearer \$TOKEN_ALICE" \$api/api/auth/cdn-cookies
  curl -si -X POST -H "Authorization: Bearer \$TOKEN_ALICE" \$api/api/auth/logout
  # 4. delete: the object first, then the row
  curl -si -X DELETE -H "Authorization: Bearer \$TOKEN_ALICE" \$api/api/documents/\$id
TRY
wait
