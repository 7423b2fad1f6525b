"""Pinned means pinned: a packet is validated, scored and reported against the criteria it pins,
found at the tag criteria-v<version> or at the latest commit declaring that version."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import copy_content, edit, invoke

from generator.git import pinned
from generator.model.handbook import Handbook
from generator.workspace.workspace import Workspace

TODAY = date(2026, 11, 28)

PACKET = "packets/2026-h2/pat-doe.yaml"
RAISE_IC3 = (
    "  ic3:\n",
    "  ic3:\n    - id: rel-ic3-capacity\n      text: Plans capacity ahead of demand.\n"
    "      examples: [Forecasts peak load.]\n    - id: rel-ic3-cost\n      text: Keeps the cost of the "
    "team's services in view.\n      examples: [Cut storage spend by a third.]\n",
)


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def five_of_six_packet(repo: Path, folder: Path | None = None) -> Path:
    """An ic2 -> ic3 packet citing 5 of the 6 ic3 criteria of version 1.3.0 (not col-ic3-glue)."""
    text = (repo / "packets/examples/priya-raman-senior.yaml").read_text()
    text = text.replace("visibility: example", "visibility: private").replace("cycle: 2026-h1", "cycle: 2026-h2")
    text = text.replace("Priya Raman (example)", "Pat Doe").replace("[col-ic3-glue]", "[col-ic2-reviews]")
    target = (folder or repo) / PACKET
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def move_to_2_0_0(repo: Path) -> None:
    edit(repo / "rubrics/dimensions/reliability.yaml", *RAISE_IC3)
    edit(repo / "site_config/handbook.yaml", "criteria_version: 1.3.0", "criteria_version: 2.0.0")
    commit(repo, "Raise expectations for Senior")


@pytest.fixture
def moved(tmp_path: Path) -> Path:
    """A handbook at 1.3.0 with a packet pinned to it, then moved to 2.0.0 with two new ic3 criteria."""
    repo = copy_content(tmp_path / "hb")
    git(repo, "init", "-q", "-b", "main")
    five_of_six_packet(repo)
    commit(repo, "Handbook 1.3.0")
    move_to_2_0_0(repo)
    return repo


def test_goalposts_stay_put_after_the_handbook_moves(moved: Path) -> None:
    result = invoke("readiness", PACKET, cwd=moved)
    assert result.returncode == 0, result.stderr
    assert "Coverage: 5 of 6 target-level criteria (83%)" in result.stdout
    assert "Written against 1.3.0; current is 2.0.0. Judged against 1.3.0, as pinned" in result.stdout
    assert "Changed since for ic3:" in result.stdout and "added rel-ic3-capacity" in result.stdout
    assert "added rel-ic3-cost" in result.stdout
    payload = json.loads(invoke("readiness", PACKET, "--format", "json", cwd=moved).stdout)
    assert (payload["coverage"]["covered"], payload["coverage"]["total"]) == (5, 6)
    assert payload["judged_against"] == "1.3.0" and payload["behind_by"] == "2.0.0"


def test_the_same_packet_repinned_sees_the_new_criteria(moved: Path) -> None:
    edit(moved / PACKET, "criteria_version: 1.3.0", "criteria_version: 2.0.0")
    result = invoke("readiness", PACKET, cwd=moved)
    assert "Coverage: 5 of 8 target-level criteria (62%)" in result.stdout


def test_a_criterion_removed_later_is_still_valid_for_a_packet_pinned_before(moved: Path) -> None:
    edit(
        moved / "rubrics/dimensions/collaboration.yaml", "    - id: col-ic3-mentoring\n", "    - id: col-ic3-coaching\n"
    )
    edit(moved / "rubrics/dimensions/collaboration.yaml", "raises: col-ic3-mentoring", "raises: col-ic3-coaching")
    edit(moved / "site_config/handbook.yaml", "criteria_version: 2.0.0", "criteria_version: 3.0.0")
    commit(moved, "Rename mentoring")
    result = invoke("validate", cwd=moved)
    assert result.returncode == 0, result.stdout
    assert "unknown criterion 'col-ic3-mentoring'" not in result.stdout
    edit(moved / PACKET, "criteria_version: 1.3.0", "criteria_version: 3.0.0")
    result = invoke("validate", PACKET, cwd=moved)
    assert result.returncode == 1 and "unknown criterion 'col-ic3-mentoring'" in result.stdout


def test_the_tag_wins_over_the_latest_declaring_commit(moved: Path) -> None:
    first = git(moved, "rev-list", "--max-parents=0", "HEAD").strip()
    points = pinned.version_points(moved)
    assert points["1.3.0"].commit == first and points["1.3.0"].source == "settings"
    git(moved, "tag", "-a", "criteria-v1.3.0", "-m", "1.3.0", "HEAD")  # a tag names the criteria exactly
    points = pinned.version_points(moved)
    assert points["1.3.0"].source == "tag" and points["1.3.0"].commit == git(moved, "rev-parse", "HEAD").strip()


def test_internal_packet_page_uses_the_pinned_version(moved: Path) -> None:
    result = invoke("build", "--include-private", cwd=moved)
    assert result.returncode == 0, result.stderr
    html = " ".join((moved / "site-internal" / "packets" / "pat-doe" / "index.html").read_text().split())
    assert "5 of 6 criteria covered (83%)" in html
    assert "judged against 1.3.0; current is 2.0.0" in html
    assert "rel-ic3-capacity" not in html


def test_each_version_is_loaded_once_per_process(moved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.git import history

    calls: list[str] = []
    original = history.load_revision

    def counting(root: Path, revision: str, *rest: history.Warn | None) -> Handbook:
        calls.append(revision)
        return original(root, revision, *rest)

    monkeypatch.setattr(pinned, "load_revision", counting)
    space = Workspace(moved, TODAY)
    for _ in range(3):
        report = space.report
        assert set(report.handbook.pinned) == {"1.3.0"}
        space = space.fresh()  # the preview's fresh copy: history is not read again
    assert len(calls) == 1


def test_unknown_version_falls_back_to_current_criteria_and_says_so(tmp_path: Path) -> None:
    repo = copy_content(tmp_path / "hb")
    five_of_six_packet(repo)
    edit(repo / "site_config/handbook.yaml", "criteria_version: 1.3.0", "criteria_version: 1.4.0")
    result = invoke("validate", PACKET, cwd=repo)  # not a git repository: no history to pin to
    assert result.returncode == 0
    assert "criteria 1.3.0 are not in the handbook's history" in result.stdout


def test_repin_shows_coverage_before_and_after_then_moves_the_packet(moved: Path) -> None:
    dry = invoke("repin", PACKET, "--dry-run", cwd=moved)
    assert dry.returncode == 0, dry.stderr
    assert "before 1.3.0: 5 of 6 target-level criteria (83%)" in dry.stdout
    assert "after  2.0.0: 5 of 8 target-level criteria (62%)" in dry.stdout
    assert "new for ic3: rel-ic3-capacity, rel-ic3-cost" in dry.stdout
    assert "criteria_version: 1.3.0" in (moved / PACKET).read_text()
    assert invoke("repin", PACKET, cwd=moved).returncode == 0
    assert "criteria_version: 2.0.0" in (moved / PACKET).read_text()
    assert "Coverage: 5 of 8" in invoke("readiness", PACKET, cwd=moved).stdout


def test_release_refuses_a_bump_smaller_than_the_diff_requires(moved: Path) -> None:
    edit(moved / "site_config/handbook.yaml", "criteria_version: 2.0.0", "criteria_version: 1.4.0")
    git(moved, "commit", "-qa", "--amend", "-m", "Raise expectations, version too small")
    refused = invoke("release", cwd=moved)
    assert refused.returncode == 1 and "calls for a major change, at least 2.0.0" in refused.stderr
    assert git(moved, "tag").strip() == ""
    edit(moved / "site_config/handbook.yaml", "criteria_version: 1.4.0", "criteria_version: 2.0.0")
    git(moved, "commit", "-qa", "--amend", "-m", "Raise expectations")
    released = invoke("release", cwd=moved)
    assert released.returncode == 0, released.stderr
    assert "as criteria-v2.0.0 (major change since 1.3.0" in released.stdout
    assert git(moved, "tag").split() == ["criteria-v2.0.0"]
    again = invoke("release", cwd=moved)
    assert again.returncode == 1 and "already exists" in again.stderr


OLDER_MODEL = (
    "  ic3:\n",
    "  ic3:\n"
    + "".join(
        f"    - id: rel-ic3-old-{n}\n      text: An older model's criterion {n}.\n      examples: [Example {n}.]\n"
        for n in range(4)
    ),
)


def test_a_version_declared_over_several_commits_is_judged_at_the_latest_and_said_once(tmp_path: Path) -> None:
    """The scenario of issue 22: the first commit declaring 1.3.0 held an older model; the packet
    was written against the last 1.3.0 criteria; the handbook then moved to 9.0.0 with one new
    criterion. The packet keeps 5 of 6, and validate says once that 1.3.0 moved."""
    repo = copy_content(tmp_path / "hb")
    git(repo, "init", "-q", "-b", "main")
    edit(repo / "rubrics/dimensions/reliability.yaml", *OLDER_MODEL)
    commit(repo, "Older model, already called 1.3.0")
    first = git(repo, "rev-parse", "HEAD").strip()
    edit(repo / "rubrics/dimensions/reliability.yaml", OLDER_MODEL[1], OLDER_MODEL[0])
    five_of_six_packet(repo)
    commit(repo, "The 1.3.0 criteria candidates saw")
    last = git(repo, "rev-parse", "HEAD").strip()
    edit(
        repo / "rubrics/dimensions/reliability.yaml",
        *RAISE_IC3[:1],
        "  ic3:\n    - id: rel-ic3-capacity\n      text: Plans capacity ahead of demand.\n"
        "      examples: [Forecasts peak load.]\n",
    )
    edit(repo / "site_config/handbook.yaml", "criteria_version: 1.3.0", "criteria_version: 9.0.0")
    commit(repo, "9.0.0: one new criterion")
    result = invoke("readiness", PACKET, cwd=repo)
    assert "Coverage: 5 of 6 target-level criteria (83%)" in result.stdout, result.stdout + result.stderr
    assert pinned.version_points(repo)["1.3.0"].commit == last
    validated = invoke("validate", "--no-cache", cwd=repo)
    assert validated.returncode == 0, validated.stdout
    said = [line for line in validated.stderr.splitlines() if "criteria version 1.3.0 is declared by commits" in line]
    assert len(said) == 1, validated.stderr
    assert first[:10] in said[0] and last[:10] in said[0] and "handbook release" in said[0]


def test_repin_lists_cited_criteria_the_new_version_drops_or_replaces(moved: Path) -> None:
    edit(
        moved / "rubrics/dimensions/collaboration.yaml", "    - id: col-ic3-mentoring\n", "    - id: col-ic3-coaching\n"
    )
    edit(moved / "rubrics/dimensions/collaboration.yaml", "raises: col-ic3-mentoring", "raises: col-ic3-coaching")
    edit(moved / "site_config/handbook.yaml", "criteria_version: 2.0.0", "criteria_version: 3.0.0")
    commit(moved, "Rename mentoring")
    dry = invoke("repin", PACKET, "--dry-run", cwd=moved)
    assert dry.returncode == 0, dry.stderr
    assert "cited col-ic3-mentoring: replaced by col-ic3-coaching" in dry.stdout


def test_calibration_judges_a_pinned_packet_as_readiness_does(moved: Path) -> None:
    """The committee's side-by-side view uses the criteria the packet pinned, not today's."""
    result = invoke("calibrate", "2026-h2", "--format", "json", cwd=moved)
    assert result.returncode == 0, result.stderr
    rows = [row for level in json.loads(result.stdout)["levels"] for row in level["packets"]]
    [pat] = [row for row in rows if row["packet"]["file"] == PACKET]
    assert (pat["coverage"]["covered"], pat["coverage"]["total"]) == (5, 6)
