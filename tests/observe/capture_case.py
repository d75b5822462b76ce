"""Capture a parser case from the simulated host: `python tests/observe/capture_case.py FIXTURE OUT.json`.

Runs the real collector through pypsrp and stores {statements, output, observed}; the
parser test replays `output` and expects `observed`. Review the diff before committing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from observe_builders import to_json  # noqa: E402

from engine.inventory import ConnectionSettings  # noqa: E402
from engine.observe.collect import COLLECTION, collect_raw  # noqa: E402
from engine.observe.parse import parse_observed  # noqa: E402
from engine.transport.sim import SimSession  # noqa: E402


def main(fixture: str, out: str) -> None:
    with SimSession("lab1", ConnectionSettings(transport="sim", fixture=fixture)) as session:
        raw = collect_raw(session)
    observed = parse_observed("lab1", raw, "127.0.0.1")
    case = {
        "statements": {key: pipeline.to_json() for key, pipeline in COLLECTION},
        "output": {key: to_json(objs) for key, objs in raw.items()},
        "connection_address": "127.0.0.1",
        "observed": observed.to_json(),
    }
    Path(out).write_text(json.dumps(case, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
