"""`handbook diff` and the changelog on real git history in temporary repositories."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from conftest import commit, copy_content, edit, git, invoke

from generator.compute.semantic_diff import ChangelogEntry, diff_handbooks
from generator.git.changelog import changelog as changelog_of
from generator.git.history import load_revision
from generator.git.pinned import Revisions


def changelog(root: Path) -> tuple[ChangelogEntry, ...]:
    return changelog_of(Revisions(root))


RELIABILITY = "rubrics/dimensions/reliability.yaml"


@pytest.fixture
def history(git_repo: Path) -> Path:
    repo = git_repo  # the default handbook, committed once (conftest.git_template)
    git(repo, "tag", "criteria-v1.3.0")  # released with `handbook release`: the version is exactly this commit
    edit(repo / RELIABILITY, "Shapes on-call for several teams", "Shapes on-call for many teams")
    commit(repo, "Clarify on-call wording")
    edit(
        repo / RELIABILITY,
        "  ic3:\n",
        "  ic3:\n    - id: rel-ic3-capacity\n      text: Plans capacity for the "
        "team's services ahead of demand.\n      examples: [Forecasts peak load for the sales event.]\n",
    )
    edit(repo / "site_config/handbook.yaml", "criteria_version: 1.3.0", "criteria_version: 2.0.0")
    commit(repo, "Add capacity planning to Senior")
    git(repo, "tag", "criteria-v2.0.0")
    return repo


def test_without_tags_a_version_is_the_latest_commit_declaring_it(history: Path) -> None:
    """What candidates saw under 1.3.0 is its last state: the reword committed under 1.3.0 belongs to it."""
    git(history, "tag", "-d", "criteria-v1.3.0", "criteria-v2.0.0")
    entries = changelog(history)
    assert [(e.version, e.previous) for e in entries] == [("2.0.0", "1.3.0"), ("1.3.0", None)]
    assert {(c.action, c.subject) for c in entries[0].diff.changes} == {("added", "rel-ic3-capacity")}


def test_diff_between_revisions(history: Path) -> None:
    result = invoke("diff", "HEAD~2", "HEAD~1", cwd=history)
    assert result.returncode == 0, result.stderr
    # "several" -> "many" swaps a word: a clarification that may change the meaning, so minor, not patch
    assert "Suggested criteria version bump: minor (1.3.0 -> 1.4.0)" in result.stdout
    assert (
        "[minor] criterion reworded rel-ic4-oncall: Reworded (why minor: adds 'many' and removes 'several': "
        "the meaning may change)"
    ) in result.stdout
    assert "before: Shapes on-call for several teams" in result.stdout


def test_new_expectation_is_major_and_version_check(history: Path) -> None:
    result = invoke("diff", "HEAD~1", "HEAD", "--format", "json", cwd=history)
    payload = json.loads(result.stdout)
    assert payload["bump"] == "major" and payload["suggested_version"] == "2.0.0"
    [change] = payload["changes"]
    assert change["action"] == "added" and change["subject"] == "rel-ic3-capacity" and change["levels"] == ["ic3"]


def test_default_base_is_merge_base_with_main_against_working_tree(history: Path) -> None:
    git(history, "checkout", "-q", "-b", "feature")
    edit(
        history / "rubrics/dimensions/delivery.yaml",
        "  ic4:\n    - id: del-ic4-cross-team",
        "  ic3:\n    - id: del-ic4-cross-team",
    )  # moved one level down: raised expectation
    edit(
        history / "rubrics/dimensions/delivery.yaml", "  ic3:\n    - id: del-ic3-projects", "    - id: del-ic3-projects"
    )
    result = invoke("diff", "--format", "markdown", cwd=history)
    assert result.returncode == 0, result.stderr
    assert "→ working tree" in result.stdout
    assert "| criterion | raised | `del-ic4-cross-team` | Moved from Staff Engineer to Senior Engineer" in result.stdout
    assert "**Suggested criteria version bump: major** (2.0.0 → 3.0.0)" in result.stdout


def test_moved_up_removed_and_metric_changes_classified(history: Path) -> None:
    base = load_revision(history, "HEAD")
    edit(
        history / RELIABILITY,
        "    - id: rel-ic3-capacity\n      text: Plans capacity for the team's services ahead "
        "of demand.\n      examples: [Forecasts peak load for the sales event.]\n",
        "",
    )
    edit(history / "rubrics/metrics/slo-attainment.yaml", "status: active", "status: retired")
    edit(history / "rubrics/composite.yaml", "below: 2.5", "below: 3")
    from generator.git.history import load_working_tree

    diff = diff_handbooks(base, load_working_tree(history))
    by_subject = {(c.area, c.subject): c for c in diff.changes}
    assert by_subject[("criterion", "rel-ic3-capacity")].bump == "minor"
    assert by_subject[("metric", "slo-attainment")].description == "Status active → retired"
    assert by_subject[("composite", "gate:reliability")].bump == "major"  # stricter gate


def test_changelog_is_version_by_version_from_the_semantic_diff(history: Path) -> None:
    (history / "README.md").write_text("docs only\n")
    commit(history, "Docs only")
    entries = changelog(history)
    assert [(e.version, e.previous) for e in entries] == [("2.0.0", "1.3.0"), ("1.3.0", None)]
    assert entries[0].diff.bump == "major"
    assert {(c.action, c.subject) for c in entries[0].diff.changes} == {
        ("reworded", "rel-ic4-oncall"),
        ("added", "rel-ic3-capacity"),
    }
    assert not any(hasattr(e, "subject") for e in entries)


def test_changes_not_yet_declared_as_a_version_have_their_own_entry(history: Path) -> None:
    edit(history / RELIABILITY, "Shapes on-call for many teams", "Shapes on-call for all teams")
    commit(history, "Reword again")
    latest = changelog(history)[0]
    assert (
        latest.version is None and latest.previous == "2.0.0" and latest.diff.bump == "minor"
    )  # "all" adds an obligation


def test_a_tag_marks_the_version_exactly(history: Path) -> None:
    git(history, "tag", "-f", "criteria-v1.3.0", "HEAD~1")  # the reword was released as part of 1.3.0
    entries = changelog(history)
    assert [c.subject for c in entries[0].diff.changes] == ["rel-ic3-capacity"]


def test_changelog_page_in_the_built_site(history: Path) -> None:
    result = invoke("build", cwd=history)
    assert result.returncode == 0, result.stderr
    html = (history / "site" / "changelog" / "index.html").read_text()
    assert html.index("2.0.0") < html.index("1.3.0")
    assert "rel-ic3-capacity" in html
    assert "Add capacity planning to Senior" not in html


@pytest.mark.parametrize("where", ["rubrics", "packets", "both"])
def test_commit_subjects_naming_a_candidate_reach_no_output_file(history: Path, where: str) -> None:
    """Commit subjects and messages may name people; the changelog never reads them."""
    if where in ("rubrics", "both"):
        edit(history / RELIABILITY, "Shapes on-call for many teams", "Shapes on-call for every team")
    if where in ("packets", "both"):
        text = (history / "packets/examples/priya-raman-senior.yaml").read_text()
        folder = history / "packets/2026-h2"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "q.yaml").write_text(
            text.replace("visibility: example", "visibility: private").replace(
                "Priya Raman (example)", "Quentin Private"
            )
        )
    git(history, "add", "-A")
    git(
        history,
        "-c",
        "user.name=Test",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-qm",
        "Promotion packet: Zqxcandidate ic3->ic4 (not-yet after calibration)",
        "-m",
        "Body: Zqxcandidate was discussed at calibration",
    )
    result = invoke("build", cwd=history)
    assert result.returncode == 0, result.stderr
    scanned = 0
    for path in (history / "site").rglob("*"):
        if path.is_file():
            scanned += 1
            raw = path.read_bytes()
            raw = gzip.decompress(raw) if path.suffix == ".gz" else raw
            assert b"zqxcandidate" not in raw.lower(), path
    assert scanned > 50


def test_diff_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    repo = copy_content(tmp_path / "nogit")
    result = invoke("diff", cwd=repo)
    assert result.returncode == 2 and "not inside a git repository" in result.stderr


def test_unknown_revision_is_a_usage_error(history: Path) -> None:
    result = invoke("diff", "no-such-rev", cwd=history)
    assert result.returncode == 2 and "git:" in result.stderr and "Traceback" not in result.stderr
