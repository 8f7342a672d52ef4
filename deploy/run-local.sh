#!/usr/bin/env bash
# Starts presignd locally on a fresh Debian 12 machine with Swift: installs the system packages,
# builds the release binary, starts presignd (prefork FastCGI workers on a unix socket) and a
# real nginx on a loopback port with the shipped config in front of it, prints what to try,
# and stops both on Ctrl-C.
#   PORT=8080 WORKERS=2 deploy/run-local.sh      (SCRATCH_PATH: swift build's directory)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
port=${PORT:-8080}
workers=${WORKERS:-2}

packages=(pkg-config libfcgi-dev libssl-dev libpq-dev libcurl4-openssl-dev nginx-light curl)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${packages[@]}" >/dev/null
fi

echo "== building presignd (release)"
scratch=${SCRATCH_PATH:-$root/.build}
swift build -c release --scratch-path "$scratch" 2>&1 | tail -n 1
binary="$scratch/release/presignd"

run="$root/.run"
prefix="$run/nginx"
rm -rf "$prefix"
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp"
cp /etc/nginx/fastcgi_params nginx/presignd.conf "$prefix/conf/"
sed -e "s|{{USER}}|$(id -un) $(id -gn)|" -e "s|{{NGINX_WORKERS}}|1|" -e "s|{{PREFIX}}|$prefix|g" \
    -e "s|{{ACCESS_LOG}}|$prefix/logs/access.log|" -e "s|{{UPSTREAM}}|unix:$run/presignd.sock|" \
    -e "s|{{KEEPALIVE}}|keepalive 8;|" -e "s|{{PORT}}|$port|" nginx/example-server.conf > "$prefix/conf/nginx.conf"

pids=()
cleanup() {
    trap - EXIT INT TERM
    echo
    echo "== stopping"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

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
Try:
  curl -i http://127.0.0.1:$port/healthz
  curl -i http://127.0.0.1:$port/api/nothing-here                     # 404, JSON error body
  head -c 70000 /dev/zero | curl -i -H 'Content-Type: application/json' \\
       --data-binary @- http://127.0.0.1:$port/api/anything             # 413 body_too_large
  kill -HUP ${pids[0]}     # reload: new workers re-read the environment, no dropped requests
Logs: $run/presignd.log (presignd), $prefix/logs/ (nginx). Ctrl-C stops both.
TRY
wait
