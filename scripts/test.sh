#!/usr/bin/env bash
# The README's second quick-start command: lint, then the test suite.
# Extra arguments go to pytest (scripts/test.sh tests/graph -x). Exit code: pytest's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
ensure_venv test
cd "$HVNET_ROOT"

echo "+ ruff check engine tests" >&2
"$HVNET_VENV/bin/ruff" check engine tests
echo "+ pytest $*" >&2
exec "$HVNET_VENV/bin/pytest" "$@"
