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

# The example's simulated host keeps its state in manifests/examples/lab/.hvnet/ (git-ignored);
# the demo starts from the fixture each time so the first plan shows the full change set.
if [ "${HVNET_DEMO_KEEP_STATE:-}" = "" ]; then
    rm -rf "$EXAMPLES"/lab/.hvnet
fi

run validate "$EXAMPLES"
run graph "$EXAMPLES" --format mermaid
run plan "$EXAMPLES"
# The main job: converge the simulated host (disruptive changes — the SET switch and the
# SR-IOV NIC restarts — are approved explicitly), then prove idempotence: a plan with
# --detailed-exitcode exits 0 only when there is nothing left to change.
run apply "$EXAMPLES" --auto-approve --allow-disruptive
run plan "$EXAMPLES" --detailed-exitcode
