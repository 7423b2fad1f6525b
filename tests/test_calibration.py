"""The calibration view: packets side by side, disagreements and conflicts flagged, never resolved.
Fixtures with known answers are in reviewkit.CASES."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXED_TODAY, invoke
from reviewkit import Committee, body, build_cycle, enable_sealing, write_packet, write_review

from generator.actions.reviews import open_packets, read_identities
from generator.compute.aggregates import Figure
from generator.compute.calibration import CONFLICT_FLAG, Calibration, PacketCalibration, calibrate
from generator.compute.process_health import process_health
from generator.compute.scoring import CompositeScore
from generator.workspace.workspace import validate_repository

EXPECTED = {  # slug: (composite, disagreements, conflict?)
    "alpha": (4.0, (), False),
    "bravo": (2.0, (), True),
    "charlie": (3.83, ("delivery", "collaboration"), True),
    "delta": (3.38, (), False),
}


@pytest.fixture
def sealed(repo: Path, tmp_path: Path) -> tuple[Path, Committee]:
    committee = Committee(tmp_path / "keys")
    enable_sealing(repo, committee)
    build_cycle(repo, committee)
    return repo, committee


def _view(repo: Path, keyfile: Path | None, level: str | None = None) -> Calibration:
    report = validate_repository(repo, today=date.fromisoformat(FIXED_TODAY))
    assert not report.errors, report.errors
    hb = report.handbook
    opened = open_packets(hb, hb.packets, read_identities(keyfile) if keyfile else None)
    return calibrate(dataclasses.replace(hb, packets=opened), "2026-h2", level)


def score(c: PacketCalibration) -> CompositeScore:
    assert c.score is not None, "the default handbook has a composite"
    return c.score


def test_flags_match_the_known_answers(sealed: tuple[Path, Committee]) -> None:
    repo, committee = sealed
    view = _view(repo, committee.keyfiles[0])
    assert [lvl.level for lvl in view.levels] == ["ic3"]
    found = {c.packet.slug: (score(c).final, c.disagreements, c.conflict is not None) for c in view.levels[0].packets}
    assert found == EXPECTED
    assert view.conflicts == 2
    assert all(c.reviews_expected == 3 for c in view.levels[0].packets)
    assert {c.packet.slug: c.reviews_in for c in view.levels[0].packets}["delta"] == 2


def test_without_the_key_sealed_reviews_count_but_say_nothing(sealed: tuple[Path, Committee]) -> None:
    repo, _ = sealed
    view = _view(repo, None)
    for c in view.levels[0].packets:
        assert not score(c).shown and c.conflict is None and not c.disagreements
        assert all(r.sealed for r in c.reviewers)


@pytest.mark.parametrize(
    "bar, conflicted", [(None, {"bravo", "charlie"}), (4.5, {"alpha", "bravo"}), (1.5, {"charlie"})]
)
def test_the_bar_comes_from_settings(repo: Path, tmp_path: Path, bar: float | None, conflicted: set[str]) -> None:
    committee = Committee(tmp_path / "keys")
    enable_sealing(repo, committee, bar=bar)
    build_cycle(repo, committee)
    view = _view(repo, committee.keyfiles[1])
    assert {c.packet.slug for c in view.levels[0].packets if c.conflict} == conflicted


def test_calibrate_cli_shows_the_table_in_every_format(sealed: tuple[Path, Committee]) -> None:
    repo, committee = sealed
    key = str(committee.keyfiles[1])
    text = invoke("calibrate", "2026-h2", "--identity", key, cwd=repo)
    assert text.returncode == 0, text.stderr
    assert "== Senior Engineer (ic3): 4 packets ==" in text.stdout
    assert "disagree:delivery,collaboration CONFLICT" in text.stdout
    assert "! delivery: reviewers differ by 2 points (5, 3, 4)" in text.stdout
    assert "rel-ic3-slos: met by nobody; not met by bob, carol, dan; unconvincing search-error-budget" in text.stdout
    assert f">> {CONFLICT_FLAG} (promoted, but the composite 2 is below the bar of 3)" in text.stdout
    assert "2 packets where numbers and narrative disagree: discuss." in text.stdout
    markdown = invoke("calibrate", "2026-h2", "--identity", key, "--format", "markdown", cwd=repo)
    assert markdown.returncode == 0 and f"🔶 **{CONFLICT_FLAG}**" in markdown.stdout
    assert "| Candidate Charlie | 6/6 (100%) | 3.83 | — | not yet | 3 of 3 |" in markdown.stdout
    data = json.loads(invoke("calibrate", "2026-h2", "--identity", key, "--format", "json", cwd=repo).stdout)
    rows = {p["packet"]["file"].rsplit("/", 1)[1]: p for p in data["levels"][0]["packets"]}
    assert rows["charlie.yaml"]["disagreements"] == ["delivery", "collaboration"]
    assert rows["bravo.yaml"]["conflict"] and rows["alpha.yaml"]["conflict"] is None
    assert data["conflicts"] == 2 and data["flag"] == CONFLICT_FLAG


def test_calibrate_filters_by_level_and_refuses_unknown_names(sealed: tuple[Path, Committee]) -> None:
    repo, committee = sealed
    key = str(committee.keyfiles[0])
    none = invoke("calibrate", "2026-h2", "--level", "ic4", "--identity", key, cwd=repo)
    assert none.returncode == 0 and "No packet in cycle 2026-h2" in none.stdout
    for args in (("2099-h1",), ("2026-h2", "--level", "nope")):
        bad = invoke("calibrate", *args, "--identity", key, cwd=repo)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_examples_stay_out_and_clear_reviews_need_no_key(repo: Path) -> None:
    build_cycle(repo, None)  # sealing off: reviews in clear
    result = invoke("calibrate", "2026-h2", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "Amara" not in result.stdout and "disagree:delivery,collaboration CONFLICT" in result.stdout


AFTER_CLOSE = date(2027, 1, 4)  # process-health figures exist only for closed cycles


def test_conflict_rate_joins_process_health_with_small_groups_suppressed(repo: Path) -> None:
    build_cycle(repo, None)
    hb = validate_repository(repo, today=date.fromisoformat(FIXED_TODAY)).handbook

    def figure(k: int) -> Figure | None:
        cycle = next(c for c in process_health(hb, {}, AFTER_CLOSE, minimum_group=k).cycles if c.cycle == "2026-h2")
        assert not cycle.suppressed
        return cycle.figure("numbers-and-narrative")

    # alpha, bravo, charlie decided (two disagree); delta pending
    one, three = figure(1), figure(3)
    assert one is not None and three is not None
    assert [(c.label, c.value) for c in one.cells] == [("agree", 1), ("disagree: discussed at calibration", 2)]
    assert [c.value for c in three.cells] == [None, None]  # both cells under k: neither can be published
    assert figure(4) is None  # fewer than k decided packets to compare: no figure at all
    open_cycle = next(
        c
        for c in process_health(hb, {}, date.fromisoformat(FIXED_TODAY), minimum_group=1).cycles
        if c.cycle == "2026-h2"
    )
    assert open_cycle.status == "open" and open_cycle.figure("numbers-and-narrative") is None
    stats = invoke("stats", cwd=repo)
    assert stats.returncode == 0
    assert "numbers and narrative disagree" not in stats.stdout or "suppressed" in stats.stdout


def test_sealed_ratings_stay_out_of_process_health(repo: Path, tmp_path: Path) -> None:
    committee = Committee(tmp_path / "keys")
    enable_sealing(repo, committee)
    build_cycle(repo, committee)
    for slug in ("foxtrot", "golf"):
        write_review(repo, write_packet(repo, slug, "submitted"), "bob", body((3, 3, 3)), committee.recipients)
    hb = validate_repository(repo, today=date.fromisoformat(FIXED_TODAY)).handbook
    cycle = next(c for c in process_health(hb, {}, AFTER_CLOSE, minimum_group=2).cycles if c.cycle == "2026-h2")
    assert cycle.figure("numbers-and-narrative") is None
    spread = cycle.figure("reviewer-spread")
    assert spread is not None and all(cell.value is None for cell in spread.cells)
