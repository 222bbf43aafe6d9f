# Sourced by scripts/serve and scripts/test: make .venv with the project installed, once.
# Works on a machine with only Python and pip (Debian: apt-get install python3-venv).
# INTAKE_VENV: another virtualenv directory; PYTHON: the interpreter that makes it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${INTAKE_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
extras="${1:-}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV" || { echo "$PY -m venv failed: apt-get install python3-venv" >&2; exit 1; }
  "$VENV/bin/python" -m pip install -q --upgrade pip
elif [ -n "${PYTHON:-}" ]; then
  # A virtualenv made by another interpreter would silently test the wrong Python.
  have="$("$VENV/bin/python" -c 'import sys; print(sys.version_info[:2])')"
  want="$("$PY" -c 'import sys; print(sys.version_info[:2])')"
  if [ "$have" != "$want" ]; then
    echo "$VENV has Python $have, PYTHON=$PY is $want: remove $VENV or choose another" >&2
    exit 1
  fi
fi
stamp="$VENV/.installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}"
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
