# Shared by scripts/run and scripts/test: make ./.venv with a Python >= 3.11 and install a lock file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "Python 3.11 or newer is required (python3 --version to check)." >&2
    exit 1
}

ensure_venv() {  # $1: lock file to install
    if [ ! -x .venv/bin/python ]; then
        "$(find_python)" -m venv .venv
    fi
    local stamp=".venv/.installed-$(basename "$1")"
    if [ ! -f "$stamp" ] || [ "$1" -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
        touch "$stamp"
    fi
}
