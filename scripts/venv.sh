# Sourced by the other scripts: find Python >= 3.11 and keep a venv with hvnet installed.
# HVNET_VENV chooses the venv (default: .venv at the repo root); PYTHON the interpreter.

HVNET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HVNET_VENV="${HVNET_VENV:-$HVNET_ROOT/.venv}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

hvnet_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "hvnet needs Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

# ensure_venv [EXTRA]: create $HVNET_VENV if missing; (re)install hvnet when pyproject.toml
# changed since the last install, or when EXTRA (e.g. "test") was never installed there.
ensure_venv() {
    local extra="${1:-}" spec="." stamp
    if [ ! -x "$HVNET_VENV/bin/python" ]; then
        echo "+ creating $HVNET_VENV" >&2
        "$(hvnet_python)" -m venv "$HVNET_VENV"
    fi
    [ -n "$extra" ] && spec=".[$extra]"
    stamp="$HVNET_VENV/.hvnet-installed${extra:+-$extra}"
    if [ ! -f "$stamp" ] || [ "$HVNET_ROOT/pyproject.toml" -nt "$stamp" ]; then
        echo "+ pip install -e '$spec' into $HVNET_VENV" >&2
        (cd "$HVNET_ROOT" && "$HVNET_VENV/bin/python" -m pip install --quiet -e "$spec")
        touch "$stamp"
    fi
}
