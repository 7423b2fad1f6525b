"""The floor for validating packets: libyaml parses each file and jsonschema-rs checks it against
the packet schema, nothing else (no positions, no rules, no messages). `benchmarks.run` times it as
a command, like ours, so the ratio compares whole processes on the same files in the same run.

    python -m benchmarks.floor FILE...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema_rs
import yaml

SCHEMA = Path(__file__).resolve().parent.parent / "generator" / "check" / "schemas" / "packet.schema.json"


def main(paths: list[str]) -> int:
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text("utf-8")), validate_formats=True)
    invalid = 0
    for path in paths:
        data = yaml.load(Path(path).read_bytes(), Loader=yaml.CSafeLoader)  # libyaml's parser, PyYAML's safe types
        invalid += not validator.is_valid(data)
    print(f"{len(paths)} files, {invalid} invalid")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
