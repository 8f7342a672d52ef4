#!/usr/bin/env bash
# Runs every test of presignd on a fresh Debian 12 machine with Swift: installs the system
# packages and Python tools it needs, runs the unit tests (swift test), then the integration
# tests (pytest) that start real nginx, PostgreSQL and ministack processes on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

packages=(pkg-config libfcgi-dev libfcgi-bin libssl-dev libpq-dev libcurl4-openssl-dev
          nginx-light spawn-fcgi fcgiwrap postgresql curl python3-venv)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${packages[@]}" >/dev/null
fi

venv="$root/.venv"
if [ ! -x "$venv/bin/pytest" ] || ! cmp -s deploy/requirements-test.txt "$venv/.requirements"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r deploy/requirements-test.txt
    cp deploy/requirements-test.txt "$venv/.requirements"
fi

echo "== unit tests (swift test)"
swift test 2>&1 | tail -n 40

echo "== release build for the integration tests"
swift build -c release 2>&1 | tail -n 3
export PRESIGND_BINARY="$root/.build/release/presignd"

echo "== integration tests (pytest, real nginx / PostgreSQL / ministack on loopback)"
"$venv/bin/pytest" -q -p no:cacheprovider Tests/integration "$@"
