"""Helpers for whole-cycle tests: a handbook with registered reviewers (keys made by `handbook
keys new`), a sealing committee, and packets repositories that name it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import REPO, copy_content, edit
from conftest import invoke as run_cli

CYCLE = "2026-h2"
REVIEWERS = ("bob", "carol", "dan", "erin")


def new_reviewer_key(keys: Path, reviewer: str) -> tuple[Path, str]:
    out = keys / reviewer
    result = run_cli("keys", "new", "--reviewer", reviewer, "--out", out, cwd=keys)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("    - {id: "))
    return out, line.strip()


def new_member_key(keys: Path, name: str) -> tuple[Path, str]:
    out = keys / f"{name.lower()}.age"
    result = run_cli("keys", "new", "--committee", name, "--out", out, cwd=keys)
    assert result.returncode == 0, result.stderr
    return out, next(x for x in result.stdout.splitlines() if x.startswith("      - {member: ")).strip()


def settings_lines(reviewer_lines: list[str], member_lines: list[str], conflicts: str) -> tuple[str, str]:
    reviewers = "".join(f"\n    {line}" for line in reviewer_lines)
    members = "".join(f"\n      {line}" for line in member_lines)
    return (f"review_process:\n  reviewers_per_packet: 3\n  reviewers:{reviewers}\n  conflicts:{conflicts}",
            f"  sealing:\n    enabled: true\n    decisions_keep_ratings: true\n    committee:{members}\n")


class CycleHandbook:
    """A handbook repository with reviewers and a committee, keys in `keys`."""

    def __init__(self, folder: Path, keys: Path, members: int = 1):
        keys.mkdir(parents=True, exist_ok=True)
        self.root = copy_content(folder)
        self.keys = keys
        self.signing: dict[str, Path] = {}
        reviewer_lines = []
        for reviewer in REVIEWERS:
            path, line = new_reviewer_key(keys, reviewer)
            self.signing[reviewer] = path
            reviewer_lines.append(line)
        self.identities: list[Path] = []
        self.member_lines: list[str] = []
        for index in range(members):
            path, line = new_member_key(keys, f"Member{index}")
            self.identities.append(path)
            self.member_lines.append(line)
        process, sealing = settings_lines(reviewer_lines, self.member_lines,
                                          "\n    manager: true\n    max_packets_per_reviewer: 3")
        settings = self.root / "site_config/handbook.yaml"
        edit(settings, "review_process:\n  reviewers_per_packet: 3", process)
        edit(settings, "  sealing:\n    enabled: false\n    decisions_keep_ratings: false\n    committee: []\n", sealing)

    def add_member(self, name: str) -> Path:
        path, line = new_member_key(self.keys, name)
        edit(self.root / "site_config/handbook.yaml", f"      {self.member_lines[-1]}\n",
             f"      {self.member_lines[-1]}\n      {line}\n")
        self.member_lines.append(line)
        self.identities.append(path)
        return path


def write_packet(repo: Path, slug: str, candidate: str, manager: str | None = None, cycle: str = CYCLE) -> Path:
    data = yaml.safe_load((REPO / "packets/examples/priya-raman-senior.yaml").read_text("utf-8"))
    data.pop("assessments", None)
    data.update(candidate=candidate, visibility="private", cycle=cycle, decision={"status": "submitted"})
    if manager:
        data["manager"] = manager
    path = repo / f"packets/{cycle}/{slug}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def review(repo: Path, packet: Path, reviewer: str, key: Path, ratings: tuple[int, int, int], note: str,
           *extra: str):
    dims = ("delivery", "reliability", "collaboration")
    flags = [x for d, r in zip(dims, ratings) for x in ("--rating", f"{d}={r}")]
    return run_cli("review", packet, "--reviewer", reviewer, "--signing-key", key, *flags,
                   "--note", f"delivery={note}", *extra, cwd=repo)


def as_json(result) -> dict:
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)
