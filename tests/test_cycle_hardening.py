"""Regression tests for the hostile review of the promotion cycle (notes/cycle-review.md): each
test failed on the code as first merged."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import edit
from conftest import invoke as run_cli
from cyclekit import CYCLE, as_json, forge, make_cycle, review

from generator.check.reviews import review_file


@pytest.fixture
def cycle(tmp_path: Path):
    return make_cycle(tmp_path)


def _calibrated(repo: Path, identity: Path) -> dict[str, dict]:
    view = as_json(run_cli("calibrate", CYCLE, "--format", "json", "--identity", identity, cwd=repo))
    return {p["packet"]["file"].rsplit("/", 1)[-1].removesuffix(".yaml"): p
            for level in view["levels"] for p in level["packets"]}


# --- H1: only assigned, unconflicted, verified reviewers are counted -----------------------------

def test_a_candidate_reviewing_their_own_packet_is_refused_and_never_counted(cycle):
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    edit(packets["bravo"], "candidate: Ben Bravo", "candidate: Ben Bravo\ncandidate_id: erin")
    # no assignment yet: the candidate reviews their own packet
    own = review(team_a, packets["bravo"], "erin", hb.signing["erin"], (5, 5, 5), "me")
    assert own.returncode == 1 and "their own packet" in own.stderr
    assert not (team_a / review_file(f"packets/{CYCLE}/bravo.yaml", "erin")).exists()
    forge(team_a, packets["bravo"], "erin", hb.signing["erin"], (5, 5, 5))
    checked = run_cli("validate", cwd=team_a)
    assert checked.returncode == 1 and "bravo.reviews/erin.yaml" in checked.stdout
    assert "does not count" in checked.stdout and "their own packet" in checked.stdout
    row = _calibrated(team_a, hb.identities[0])["bravo"]
    assert row["reviews_in"] == 0
    assert [r["unverified"] for r in row["reviewers"] if r["reviewer"] == "erin"] == ["it is their own packet"]
    assert all(s["ratings"] == [] for s in row["spreads"])
    status = as_json(run_cli("status", CYCLE, "--format", "json", cwd=team_a))
    bravo = next(p for p in status["packets"] if p["slug"] == "bravo")
    assert bravo["counted"] == 0 and bravo["reviews"][0]["why_not"] == "it is their own packet"


def test_an_unassigned_reviewer_is_refused_and_never_counted(cycle):
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    assert run_cli("assign", packets["bravo"], "--reviewers", "bob,carol", cwd=team_a).returncode == 0
    for reviewer in ("bob", "carol"):
        assert review(team_a, packets["bravo"], reviewer, hb.signing[reviewer], (2, 2, 2), "ok").returncode == 0
    stranger = review(team_a, packets["bravo"], "dan", hb.signing["dan"], (5, 5, 5), "me")
    assert stranger.returncode == 1 and "not assigned" in stranger.stderr
    forge(team_a, packets["bravo"], "dan", hb.signing["dan"], (5, 5, 5))
    row = _calibrated(team_a, hb.identities[0])["bravo"]
    assert row["reviews_in"] == 2
    assert sorted(s["ratings"] for s in row["spreads"]) == [[2, 2]] * 3  # dan's 5s are not among them
    assert row["score"]["final"] == pytest.approx(2.0)
    status = as_json(run_cli("status", CYCLE, "--format", "json", cwd=team_a))
    bravo = next(p for p in status["packets"] if p["slug"] == "bravo")
    assert bravo["counted"] == 2 and bravo["not_counted"] == 1


def test_a_review_of_a_packet_nobody_was_assigned_to_does_not_count(cycle):
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    refused = review(team_a, packets["bravo"], "bob", hb.signing["bob"], (5, 5, 5), "early")
    assert refused.returncode == 1 and "handbook assign" in refused.stderr
    forge(team_a, packets["bravo"], "bob", hb.signing["bob"], (5, 5, 5))
    status = as_json(run_cli("status", CYCLE, "--format", "json", cwd=team_a))
    bravo = next(p for p in status["packets"] if p["slug"] == "bravo")
    assert bravo["counted"] == 0 and "assigned" in bravo["reviews"][0]["why_not"]
    assert _calibrated(team_a, hb.identities[0])["bravo"]["reviews_in"] == 0


def test_ratings_typed_into_a_real_packet_do_not_count_once_reviews_are_signed(cycle):
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    with packets["bravo"].open("a") as out:
        out.write("assessments:\n  - reviewer: bob\n    ratings: {delivery: 5, reliability: 5, collaboration: 5}\n")
    row = _calibrated(team_a, hb.identities[0])["bravo"]
    assert row["reviews_in"] == 0 and all(s["ratings"] == [] for s in row["spreads"])
    assert [r["unverified"] for r in row["reviewers"] if r["reviewer"] == "bob"][0].startswith("typed into the packet")
    checked = run_cli("validate", cwd=team_a)
    assert "do not count" in checked.stdout


def test_decide_compares_with_the_counted_reviews_only(cycle):
    """numbers vs narrative: a self-review of 5s must not lift the composite over the bar."""
    hb, repos, packets, _ = cycle
    team_a = repos["team-a"]
    edit(packets["bravo"], "candidate: Ben Bravo", "candidate: Ben Bravo\ncandidate_id: erin")
    assert run_cli("assign", packets["bravo"], "--reviewers", "bob,carol", cwd=team_a).returncode == 0
    for reviewer in ("bob", "carol"):
        assert review(team_a, packets["bravo"], reviewer, hb.signing[reviewer], (2, 2, 2), "ok").returncode == 0
    forge(team_a, packets["bravo"], "erin", hb.signing["erin"], (5, 5, 5))
    promoted = run_cli("decide", packets["bravo"], "--outcome", "promoted", "--rationale", "r", "--feedback", "f",
                       "--identity", hb.identities[0], cwd=team_a)
    assert promoted.returncode == 1 and "numbers and narrative disagree" in promoted.stderr


# --- H2: a handbook without a composite (what `handbook init` makes) -----------------------------

def test_every_cycle_report_works_on_a_handbook_made_by_init(tmp_path: Path):
    assert run_cli("init", tmp_path / "hb", "--tool-source", "handbook==1.0.0", cwd=tmp_path).returncode == 0
    root = tmp_path / "hb"
    assert not (root / "rubrics/composite.yaml").exists()
    made = run_cli("new", "packet", "--candidate", "Pat Doe", "--target", "senior-engineer", cwd=root)
    assert made.returncode == 0, made.stderr
    packet = next((root / "packets").rglob("pat-doe.yaml"))
    cycle = packet.parent.name
    with packet.open("a") as out:  # ratings, so that every block of the reports renders
        out.write("assessments:\n  - reviewer: Ada\n    ratings: {delivery: 3, collaboration: 4}\n"
                  "  - reviewer: Bo\n    ratings: {delivery: 1, collaboration: 4}\n")
    for args in (("calibrate", cycle), ("status", cycle), ("readiness", packet)):
        for fmt in ("text", "markdown", "json"):
            result = run_cli(*args, "--format", fmt, cwd=root)
            assert result.returncode == 0 and "Traceback" not in result.stderr, (args, fmt, result.stderr)
    text = run_cli("calibrate", cycle, cwd=root).stdout
    assert "No composite" in text and "delivery: reviewers differ by 2 points" in text
    decided = run_cli("decide", packet, "--outcome", "not-yet", "--rationale", "r", "--feedback", "f", cwd=root)
    assert decided.returncode == 0, decided.stderr
