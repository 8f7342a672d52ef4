# Set-up steps shared by deploy/run-local.sh and deploy/test.sh, and ensure_packages by
# bench/floor.sh and bench/healthz.sh (sourced, not run).

# Installs the Debian packages named that are not installed yet (apt-get update first).
ensure_packages() {
    local missing=() p
    for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}"
    local sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Creates or refreshes the Python venv at $1 from deploy/requirements-test.txt (pinned tools:
# pytest, ministack, PyJWT …); a changed requirements file rebuilds it.
ensure_venv() {
    local venv=$1
    if [ ! -x "$venv/bin/pytest" ] || ! cmp -s deploy/requirements-test.txt "$venv/.requirements"; then
        echo "== python tools (.venv)"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check -r deploy/requirements-test.txt
        cp deploy/requirements-test.txt "$venv/.requirements"
    fi
}
