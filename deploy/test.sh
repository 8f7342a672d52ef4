#!/usr/bin/env bash
# Runs every test of presignd on a fresh Debian 12 machine with Swift: installs the system
# packages and Python tools it needs, runs the unit tests (swift test), then the integration
# tests (pytest) that start real nginx, PostgreSQL, ministack and Ceph RGW processes on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

. deploy/setup-lib.sh
ensure_packages pkg-config libfcgi-dev libfcgi-bin libssl-dev libpq-dev libcurl4-openssl-dev \
    nginx-light spawn-fcgi fcgiwrap postgresql pgbouncer curl python3-venv chromium chromium-driver prometheus \
    patroni etcd-server libnginx-mod-http-js libnginx-mod-http-image-filter

venv="$root/.venv"
ensure_venv "$venv"

# Ceph RGW 16, the integration tests' second S3 store: Debian's radosgw, ceph-mon, ceph-osd and
# ceph-common downloaded once (apt-get --download-only, `apt-get update` first when that fails)
# and unpacked with dpkg -x under /var/cache/presignd-ceph ($PRESIGND_CEPH_CACHE); nothing is
# installed. Done here so a machine that cannot fetch them fails now, loudly.
echo "== Ceph RGW packages (Tests/integration/harness/ceph_rgw.py)"
"$venv/bin/python" Tests/integration/harness/ceph_rgw.py --prepare

echo "== unit tests (swift test)"
unit_log=$(mktemp)
unit_status=0
swift test > "$unit_log" 2>&1 || unit_status=$?
# Every failure's line (a tail alone can hide which test failed), then the summary.
grep -E ": error: |error: " "$unit_log" | head -n 60 || true
tail -n 12 "$unit_log"
rm -f "$unit_log"
[ "$unit_status" = 0 ] || { echo "swift test failed (exit $unit_status)"; exit "$unit_status"; }

echo "== fuzzing (libFuzzer + AddressSanitizer, 5 s per harness: a harness that stops building or crashes at once fails CI)"
bench/fuzz.sh 5

echo "== browser client unit tests (node --test)"
command -v node >/dev/null || ensure_packages nodejs
node --test client/test/ 2>&1 | tail -n 12

echo "== release build for the integration tests"
swift build -c release 2>&1 | tail -n 3
export PRESIGND_BINARY="$root/.build/release/presignd"

echo "== integration tests (pytest, real nginx / PostgreSQL / ministack / Ceph RGW on loopback)"
"$venv/bin/pytest" -q -p no:cacheprovider Tests/integration "$@"
