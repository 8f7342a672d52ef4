# What every bench script starts with (sourced, not run): the repository as the working
# directory, the swift build directory ($scratch, from SCRATCH_PATH), the test venv's Python
# ($python) and wrk checked, a release build unless SKIP_BUILD=1 or PRESIGND_BINARY is given, and
# PRESIGND_BINARY exported (the binary to measure).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scratch=${SCRATCH_PATH:-$(pwd)/.build}
python=".venv/bin/python"
[ -x "$python" ] || { echo "run deploy/test.sh once to create .venv" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
# PRESIGND_BINARY: measure that binary (nothing is built); otherwise the release build's, made here
# unless SKIP_BUILD=1.
[ -n "${PRESIGND_BINARY:-}" ] && SKIP_BUILD=1
[ "${SKIP_BUILD:-}" = 1 ] || swift build -c release --scratch-path "$scratch" 2>&1 | tail -n 1
export PRESIGND_BINARY="${PRESIGND_BINARY:-$scratch/release/presignd}"
