#!/usr/bin/env bash
# Measures GET /healthz through nginx → presignd against (a) nginx's own `return 200` and (b) a
# minimal single-threaded C libfcgi program returning the same JSON (the FastCGI ceiling), all
# in one run on this machine; then the stripped static binary's size, one worker's RSS after
# 100 k requests, and the time of one CGI-mode request. Prints a markdown table.
#   bench/healthz.sh            (DURATION=10 CONNECTIONS=32 WORKERS=2 THREADS=16 KEEPALIVE=32)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
workers=${WORKERS:-2}
threads=${THREADS:-16}
keepalive=${KEEPALIVE:-32}
scratch=${SCRATCH_PATH:-$root/.build}   # the static build goes to "$scratch-static"

packages=(pkg-config libfcgi-dev libfcgi-bin libssl-dev libpq-dev libcurl4-openssl-dev nginx-light spawn-fcgi wrk gcc binutils)
. deploy/setup-lib.sh
ensure_packages "${packages[@]}" >&2

# A minimal valid product configuration: /healthz touches none of it, but every worker builds
# the whole application at start (PostgreSQL connects lazily, so the unused port is fine).
config=(PRESIGND_JWT_HS256_SECRET=bench-secret-0123456789abcdef0123 PRESIGND_BUCKET=bench AWS_REGION=us-east-1
        AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
        DATABASE_URL=postgresql://presignd@127.0.0.1:1/presignd)

work=$(mktemp -d /tmp/presignd-bench.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# Every presignd figure is for the shipped artifact: release, static Swift stdlib, stripped.
echo "building presignd (release, --static-swift-stdlib) and the C FastCGI program..." >&2
swift build -c release --static-swift-stdlib --scratch-path "$scratch-static" 2>&1 | tail -n 1 >&2
strip -o "$work/presignd" "$scratch-static/release/presignd"
binary="$work/presignd"
static_mb=$(awk -v b="$(stat -c %s "$binary")" 'BEGIN { printf "%.1f", b / 1000000 }')
gcc -O2 -o "$work/c-fastcgi-hello" bench/c-fastcgi-hello.c -lfcgi

# start_nginx NAME UPSTREAM KEEPALIVE_LINE → sets $port
start_nginx() {
    local prefix="$work/nginx-$1"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    nginx/render-example.sh "$prefix" "$2" "$3" "$port"
    nginx -p "$prefix" -c "$prefix/conf/nginx.conf" -e "$prefix/logs/error.log" >>"$prefix/logs/stderr.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/nginx-static" >/dev/null 2>&1 && break; sleep 0.05; done
}

# behind_nginx NAME KEEPALIVE_LINE → start_nginx in front of $work/NAME.sock, then waits until
# /healthz answers through it
behind_nginx() {
    local socket="$work/$1.sock"
    start_nginx "$1" "unix:$socket" "$2"
    for _ in $(seq 1 200); do [ -S "$socket" ] && curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0; sleep 0.05; done
    echo "nothing answers behind $socket" >&2; return 1
}

# start_presignd NAME → presignd serving on $work/NAME.sock, its pid in $presignd_pid
start_presignd() {
    env "${config[@]}" PRESIGND_WORKERS=$workers PRESIGND_THREADS=$threads "$binary" serve --listen "$work/$1.sock" 2>>"$work/presignd.log" &
    presignd_pid=$!
    pids+=($presignd_pid)
}

# measure URL → "req/s p99_ms requests errors"
measure() {
    wrk -t1 -c"$connections" -d"$duration"s --latency "$1" > "$work/wrk.txt" 2>&1 || true
    awk '
        /Requests\/sec:/ { rps = $2 }
        /^ +99%/ { v = $2; if (v ~ /us$/) ms = v / 1000; else if (v ~ /ms$/) ms = v + 0; else if (v ~ /s$/) ms = v * 1000; }
        /requests in/ { total = $1 }
        /Non-2xx|Socket errors/ { errors = errors $0 " " }
        END { printf "%d %.2f %d %s\n", rps, ms, total, (errors == "" ? "none" : "yes") }
    ' "$work/wrk.txt"
    if grep -qE 'Non-2xx|Socket errors' "$work/wrk.txt"; then grep -E 'Non-2xx|Socket errors' "$work/wrk.txt" >&2; fi
}

echo "nginx static..." >&2
start_nginx static "unix:$work/unused.sock" ""
read -r static_rps static_p99 _ static_err < <(measure "http://127.0.0.1:$port/nginx-static")

echo "C libfcgi program ($workers processes, no keep-alive: it is single-threaded)..." >&2
spawn-fcgi -n -F "$workers" -s "$work/c.sock" -M 0600 -- "$work/c-fastcgi-hello" >/dev/null 2>&1 &
pids+=($!)
behind_nginx c ""
read -r c_rps c_p99 _ c_err < <(measure "http://127.0.0.1:$port/healthz")

echo "presignd ($workers workers × $threads threads, no keep-alive)..." >&2
start_presignd p1
behind_nginx p1 ""
read -r pn_rps pn_p99 _ pn_err < <(measure "http://127.0.0.1:$port/healthz")

echo "presignd ($workers workers × $threads threads, upstream keepalive $keepalive)..." >&2
start_presignd p2
behind_nginx p2 "keepalive $keepalive;"
read -r pk_rps pk_p99 pk_total pk_err < <(measure "http://127.0.0.1:$port/healthz")

# Keep loading until every worker has served at least 100 k requests, then read its RSS.
served=$pk_total
while [ "$served" -lt $((100000 * workers)) ]; do
    read -r _ _ more _ < <(measure "http://127.0.0.1:$port/healthz")
    served=$((served + more))
done
rss_kib=0
for pid in $(cat "/proc/$presignd_pid/task/$presignd_pid/children"); do
    kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    [ "$kib" -gt "$rss_kib" ] && rss_kib=$kib
done

echo "one CGI request (100 runs)..." >&2
env -i "${config[@]}" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET REQUEST_URI=/healthz "$binary" </dev/null \
    | head -n 1 | grep -q '^Status: 200' || { echo "CGI mode did not answer 200" >&2; exit 1; }
cgi_ms=$( { TIMEFORMAT=%R; time (for _ in $(seq 1 100); do
    env -i "${config[@]}" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET REQUEST_URI=/healthz "$binary" </dev/null >/dev/null
done) ; } 2>&1 | awk '{ printf "%.2f", $1 * 1000 / 100 }')


ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<TABLE

Serving, static stripped presignd, $(nproc) cores, wrk -t1 -c$connections -d${duration}s, nginx 1 worker, unix sockets ($(date -u +%Y-%m-%d))

| path | req/s | p99 ms | ratio to nginx static | ratio to C libfcgi | errors |
| --- | ---: | ---: | ---: | ---: | --- |
| nginx \`return 200\` | $static_rps | $static_p99 | 1.00 | $(ratio "$static_rps" "$c_rps") | $static_err |
| C libfcgi hello, $workers processes | $c_rps | $c_p99 | $(ratio "$c_rps" "$static_rps") | 1.00 | $c_err |
| presignd $workers × $threads threads, no keep-alive | $pn_rps | $pn_p99 | $(ratio "$pn_rps" "$static_rps") | $(ratio "$pn_rps" "$c_rps") | $pn_err |
| presignd $workers × $threads threads, keepalive $keepalive | $pk_rps | $pk_p99 | $(ratio "$pk_rps" "$static_rps") | $(ratio "$pk_rps" "$c_rps") | $pk_err |

| footprint | measured | target |
| --- | ---: | ---: |
| stripped static binary (--static-swift-stdlib) | $static_mb MB | ≤ 20 MB |
| largest worker RSS after ≥ 100 k requests per worker on average ($served in all) | $(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }') MiB | ≤ 16 MiB |
| one CGI-mode request (process start to exit, mean of 100) | $cgi_ms ms | ≤ 10 ms |
TABLE
