#!/usr/bin/env bash
# Write routes against a C floor (issue 12): builds presignd (release) and the floor and C hello
# programs, then bench/floor.py runs presignd and the floor behind one nginx on one PostgreSQL,
# A/B over several rounds, and prints markdown tables (req/s, p50/p99, CPU per request of the
# server, nginx and PostgreSQL, ratios; then the PostgreSQL diagnosis).
#   bench/floor.sh                       FLOOR_ROUNDS=5 FLOOR_SECONDS=10 FLOOR_CONNECTIONS=16 ...
#   FLOOR_PROFILE=/tmp/prof bench/floor.sh   callgrind profiles of presignd and the floor per route
#   FLOOR_KERNEL=1 bench/floor.sh            context switches, page faults, system calls per request
# Knobs: see bench/floor.py. FLOOR_REV: the commit measured (default HEAD, exported with git
# archive into .build-floor-src/<commit>, so uncommitted edits in the tree neither break the build
# nor leak into the figures; FLOOR_REV=worktree builds the working tree as it is). SCRATCH_PATH:
# where swift build's directories go, one per commit (default .build-floor, apart from everyone
# else's .build).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch_root=${SCRATCH_PATH:-$(pwd)/.build-floor}

packages=(pkg-config libfcgi-dev libpq-dev libssl-dev nginx-light wrk gcc postgresql-15 postgresql-contrib valgrind)
. deploy/setup-lib.sh
ensure_packages "${packages[@]}" >&2

rev=${FLOOR_REV:-HEAD}
if [ "$rev" = worktree ]; then
    source=$(pwd)
    scratch=$scratch_root/worktree
else
    commit=$(git rev-parse --verify "$rev^{commit}")
    source=$(pwd)/.build-floor-src/$commit
    if [ ! -d "$source" ]; then
        rm -rf "$source.tmp" && mkdir -p "$source.tmp" && git archive "$commit" | tar -x -C "$source.tmp" && mv "$source.tmp" "$source"
    fi
    # One build directory per commit: SwiftPM does not notice that a reused build directory's
    # package moved, and would hand back the previous commit's binary.
    scratch=$scratch_root/${commit:0:12}
fi
echo "building presignd from $source ($(git -C "$(pwd)" rev-parse --short "${commit:-HEAD}")${commit:+, exported})" >&2
swift build -c release --package-path "$source" --scratch-path "$scratch" 2>&1 | tail -n 1 >&2
bin=$(mktemp -d /tmp/presignd-floor-bin.XXXXXX)
trap 'rm -rf "$bin"' EXIT
gcc -O2 -pthread -o "$bin/floor" bench/floor.c $(pkg-config --cflags --libs libpq) -lfcgi -lcrypto
gcc -O2 -o "$bin/c-fastcgi-hello" bench/c-fastcgi-hello.c -lfcgi
export PRESIGND_BINARY="$scratch/release/presignd" FLOOR_BINARY="$bin/floor" HELLO_BINARY="$bin/c-fastcgi-hello"
export FLOOR_SOURCE="$source" FLOOR_COMMIT="${commit:-worktree}"
python=".venv/bin/python"
[ -x "$python" ] || { echo "run deploy/test.sh once to create .venv" >&2; exit 1; }
"$python" bench/floor.py
