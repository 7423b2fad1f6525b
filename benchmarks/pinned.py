"""Validating packets pinned to several criteria versions costs about the same as pinned to one:
each version is loaded once per process, not once per packet.

    python -m benchmarks.pinned [--packets 10000] [--versions 5] [--repeat 3]

Prints one table: `handbook validate --no-cache` (fresh process, median of --repeat runs) over the
same synthetic packets, first all pinned to the current version, then spread round-robin over
--versions versions found in git history, and the ratio (target: within 1.3x).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
from pathlib import Path

from benchmarks.run import handbook, measure, table
from benchmarks.synth import generate

VERSION_LINE = re.compile(r"^criteria_version: .*$", re.MULTILINE)


def git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def with_history(repo: Path, versions: int) -> list[str]:
    """Commit the handbook (not the packets) once per version, each declaring the next version."""
    names = [f"1.{i}.0" for i in range(versions)]
    git(repo, "init", "-q", "-b", "main")
    settings = repo / "site_config" / "handbook.yaml"
    for name in names:
        settings.write_text(VERSION_LINE.sub(f"criteria_version: {name}", settings.read_text()))
        git(repo, "add", "site_config", "rubrics", "levels")
        git(repo, "commit", "-qm", f"criteria {name}")
    return names


def pin(repo: Path, versions: list[str]) -> None:
    for index, path in enumerate(sorted((repo / "packets").rglob("*.yaml"))):
        text = path.read_text()
        path.write_text(VERSION_LINE.sub(f"criteria_version: {versions[index % len(versions)]}", text, count=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packets", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="handbook-bench-pinned-") as folder:
        repo = Path(folder) / "org"
        generate(repo, packets=args.packets)
        names = with_history(repo, args.versions)
        env = {"HANDBOOK_TODAY": "2026-11-28"}
        pin(repo, names[-1:])
        one, one_rss = measure(handbook("validate", "--no-cache"), repo, env, args.repeat)
        pin(repo, names)
        many, many_rss = measure(handbook("validate", "--no-cache"), repo, env, args.repeat)
    rows = [
        [f"validate {args.packets:,} packets pinned to 1 version", f"{one:.2f} s", f"{one_rss} MiB", "", ""],
        [
            f"validate {args.packets:,} packets pinned to {args.versions} versions",
            f"{many:.2f} s",
            f"{many_rss} MiB",
            f"×{many / one:.2f} (target ≤ ×1.3)",
            "each version loaded once",
        ],
    ]
    print(table(rows))


if __name__ == "__main__":
    main()
