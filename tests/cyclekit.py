"""Helpers for whole-cycle tests: a handbook with registered reviewers (keys made by `handbook
keys new`), a sealing committee, and packets repositories that name it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import REPO, copy_content, edit
from conftest import invoke as run_cli

from generator.model.handbook import Handbook, Packet

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
    return (
        f"review_process:\n  reviewers_per_packet: 3\n  reviewers:{reviewers}\n  conflicts:{conflicts}",
        f"  sealing:\n    enabled: true\n    decisions_keep_ratings: true\n    committee:{members}\n",
    )


class CycleHandbook:
    """A handbook repository with reviewers and a committee, keys in `keys`."""

    def __init__(self, folder: Path, keys: Path, members: int = 1) -> None:
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
        process, sealing = settings_lines(
            reviewer_lines, self.member_lines, "\n    manager: true\n    max_packets_per_reviewer: 3"
        )
        settings = self.root / "site_config/handbook.yaml"
        edit(settings, "review_process:\n  reviewers_per_packet: 3", process)
        edit(
            settings, "  sealing:\n    enabled: false\n    decisions_keep_ratings: false\n    committee: []\n", sealing
        )

    def add_member(self, name: str) -> Path:
        path, line = new_member_key(self.keys, name)
        edit(
            self.root / "site_config/handbook.yaml",
            f"      {self.member_lines[-1]}\n",
            f"      {self.member_lines[-1]}\n      {line}\n",
        )
        self.member_lines.append(line)
        self.identities.append(path)
        return path


def write_packet(repo: Path, slug: str, candidate: str, manager: str | None = None, cycle: str = CYCLE) -> Path:
    data = yaml.safe_load((REPO / "packets/examples/priya-raman-senior.yaml").read_text("utf-8"))
    data.pop("assessments", None)
    data.update(
        candidate=candidate, visibility="private", cycle=cycle, decision={"status": "submitted"}, candidate_id=slug
    )
    if manager:
        data["manager"] = manager
    path = repo / f"packets/{cycle}/{slug}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def review(
    repo: Path, packet: Path, reviewer: str, key: Path, ratings: tuple[int, int, int], note: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    dims = ("delivery", "reliability", "collaboration")
    flags = [x for d, r in zip(dims, ratings) for x in ("--rating", f"{d}={r}")]
    return run_cli(
        "review",
        packet,
        "--reviewer",
        reviewer,
        "--signing-key",
        key,
        *flags,
        "--note",
        f"delivery={note}",
        *extra,
        cwd=repo,
    )


def packet_of(hb: Handbook, file: str) -> Packet:
    """The packet at `file`, which the test wrote."""
    packet = hb.packet(file)
    assert packet is not None, file
    return packet


def as_json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stdout + result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


CANDIDATES = {"alpha": "Ada Alpha", "bravo": "Ben Bravo", "charlie": "Cleo Charlie"}


Cycle = tuple[
    CycleHandbook, dict[str, Path], dict[str, Path], Path
]  # (handbook, packets repositories, packets, manifest)


def make_cycle(tmp_path: Path) -> Cycle:
    """A handbook, two packets repositories (team-a: alpha, bravo; team-b: charlie) and a cycle manifest."""
    hb = CycleHandbook(tmp_path / "handbook", tmp_path / "keys")
    repos = {}
    for name in ("team-a", "team-b"):
        target = tmp_path / name
        result = run_cli("init", "packets", target, "--handbook", hb.root, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        repos[name] = target
    packets = {
        "alpha": write_packet(repos["team-a"], "alpha", CANDIDATES["alpha"], manager="dan"),
        "bravo": write_packet(repos["team-a"], "bravo", CANDIDATES["bravo"]),
        "charlie": write_packet(repos["team-b"], "charlie", CANDIDATES["charlie"]),
    }
    manifest = tmp_path / "committee" / "cycle.yaml"
    manifest.parent.mkdir()
    manifest.write_text("repositories:\n  - {name: team-a, path: ../team-a}\n  - {name: team-b, path: ../team-b}\n")
    return hb, repos, packets, manifest


def forge(
    repo: Path, packet: Path, reviewer: str, key: Path, ratings: tuple[int, int, int], today: str = "2026-11-20"
) -> Path:
    """A review file written by hand (what someone who can push may do), signed with `key` and
    sealed to the committee: the CLI's own refusals are bypassed."""
    from datetime import date

    from generator.actions.keys import load_signing_key
    from generator.actions.reviews import signed_review
    from generator.check.reviews import packet_digest, review_file
    from generator.model.handbook import checked
    from generator.workspace.workspace import Workspace

    space = Workspace.find(repo, repo, date.fromisoformat(today))
    handbook = checked(space.report.handbook)
    process = handbook.settings.review_process
    packet_file = packet.resolve().relative_to(repo.resolve()).as_posix()
    relative = review_file(packet_file, reviewer)
    header = {
        "reviewer": reviewer,
        "packet": packet.stem,
        "date": today,
        "packet_digest": packet_digest(packet_of(handbook, packet_file)),
    }
    body = {"ratings": {d: {"rating": r} for d, r in zip(("delivery", "reliability", "collaboration"), ratings)}}
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(signed_review(relative, packet_file, header, body, process, load_signing_key(key)), "utf-8")
    return path
