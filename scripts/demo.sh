#!/usr/bin/env bash
# The README's first quick-start command: set up hvnet and run it on the example lab.
# Add further steps at the end (plan/apply on the simulated host) with `run ...`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
ensure_venv
cd "$HVNET_ROOT"

EXAMPLES="${HVNET_EXAMPLES:-manifests/examples}"

run() {
    printf '\n$ hvnet %s\n' "$*" >&2
    "$HVNET_VENV/bin/hvnet" "$@"
}

run validate "$EXAMPLES"
run graph "$EXAMPLES" --format mermaid
