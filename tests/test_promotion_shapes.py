"""Any real framework's promotion rule, track switches, and a site that says only what the organisation
decided (issue 23): three handbooks of the shapes real frameworks come in (tests/shapes.py), built for
real, with readiness verdicts that follow each one's own rule."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXED_TODAY, search
from conftest import invoke as run_cli
from shapes import AREAS, cumulative_packet, dump, load, points_packet, write_branching, write_cumulative, write_points

from generator.compute.promotion import explain, range_for
from generator.model.handbook import PromotionRule
from generator.workspace.workspace import validate_repository

TODAY = date.fromisoformat(FIXED_TODAY)


def article_text(path: Path) -> str:
    html = search(r"<article.*?</article>", path.read_text("utf-8"), re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def built(root: Path) -> Path:
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "site"


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("shapes")
    branching = write_branching(base / "branching")
    cumulative = write_cumulative(base / "cumulative")
    cumulative_packet(cumulative, [["tech-4-1", "tech-3-1"], ["deli-4-1"], ["feed-4-1", "coll-4-1"], ["lead-4-1"]])
    points = write_points(base / "points")
    points_packet(
        points,
        {"mobile": 2, "web-client": 3, "foundations": 2, "servers": 1, "project-management": 2, "communication": 1},
    )
    roots = {"branching": branching, "cumulative": cumulative, "points": points}
    for root in roots.values():
        built(root)
    return roots


def report_text(root: Path, packet: str, fmt: str = "text") -> str:
    result = run_cli("readiness", "--format", fmt, packet, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def report_of(root: Path, packet: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(report_text(root, packet, "json"))
    return report


# --- Each shape validates cleanly and builds ------------------------------------------------------


@pytest.mark.parametrize("shape", ["branching", "cumulative", "points"])
def test_each_shape_validates_without_errors_or_warnings_and_builds(shapes: dict[str, Path], shape: str) -> None:
    report = validate_repository(shapes[shape], today=TODAY)
    assert report.diagnostics == (), [d.message for d in report.diagnostics]
    site = shapes[shape] / "site"
    assert (site / "index.html").is_file() and (site / "dimensions" / "index.html").is_file()
    assert "None" not in article_text(site / "index.html")  # an absent level summary leaves no word


# --- Verdicts under each framework's own rule --------------------------------------------------------


def test_cumulative_proportion_rule_needs_a_share_per_topic_and_the_must_have(
    shapes: dict[str, Path], tmp_path: Path
) -> None:
    root = shutil.copytree(shapes["cumulative"], tmp_path / "c", ignore=shutil.ignore_patterns("site"))
    judged = report_of(root, "packets/examples/robin.yaml")["judgement"]
    assert judged["ready"] is True and judged["rule"]["rule"] == "proportion"
    assert [d["needed"] for d in judged["dimensions"]] == [1] * 5
    # Carried-up criteria are context: level 3's tech-3-1 does not count for level 4.
    assert report_of(root, "packets/examples/robin.yaml")["coverage"]["total"] == 10
    cumulative_packet(root, [["tech-4-2"], ["deli-4-1"], ["feed-4-1", "coll-4-1"], ["lead-4-1"]], "sam")
    text = report_text(root, "packets/examples/sam.yaml")
    assert "must-have criteria without evidence: tech-4-1" in text
    assert (
        json.loads(run_cli("readiness", "--format", "json", "packets/examples/sam.yaml", cwd=root).stdout)["judgement"][
            "ready"
        ]
        is False
    )


def test_a_topic_starting_at_level_3_is_not_judged_below_it_and_warns_nowhere(
    shapes: dict[str, Path], tmp_path: Path
) -> None:
    root = shutil.copytree(shapes["cumulative"], tmp_path / "c", ignore=shutil.ignore_patterns("site"))
    path = cumulative_packet(root, [["tech-2-1"], ["deli-2-1"], ["feed-2-1"], ["coll-2-1"]], "early")
    data = load(path)
    data.update(current_level="level-1", target_level="level-2")
    dump(path, data)
    judged = report_of(root, "packets/examples/early.yaml")["judgement"]
    leadership = next(d for d in judged["dimensions"] if d["dimension"] == "leadership")
    assert leadership["counted"] == 0 and leadership["met"] is None and judged["ready"] is True
    page = article_text(shapes["cumulative"] / "site" / "dimensions" / "leadership" / "index.html")
    assert "This dimension starts at Level 3" in page and "not yet reviewed" in page


def test_points_rule_sums_milestones_and_maps_the_total_to_a_level_and_title(
    shapes: dict[str, Path], tmp_path: Path
) -> None:
    root = shutil.copytree(shapes["points"], tmp_path / "p", ignore=shutil.ignore_patterns("site"))
    judged = report_of(root, "packets/examples/robin.yaml")["judgement"]
    assert judged["total_points"] == 3 + 6 + 3 + 1 + 3 + 1 == 17
    assert (judged["reached_level"], judged["reached_title"], judged["ready"]) == ("grade-2", "Engineer I", False)
    points_packet(root, {area: 3 for area in AREAS}, name="kim")  # 6 areas x 6 points = 36
    judged = report_of(root, "packets/examples/kim.yaml")["judgement"]
    assert (judged["total_points"], judged["reached_level"], judged["reached_title"]) == (
        36,
        "grade-4",
        "Senior Engineer",
    )
    assert judged["ready"] is True
    # A skipped milestone: with carried-up milestones required, milestone 3 alone supports nothing.
    path = points_packet(root, {"mobile": 0}, name="gap")
    data = load(path)
    data["evidence"] = (
        [{**data["evidence"][0], "criteria": ["mobile-m3-1"]}]
        if data["evidence"]
        else [
            {
                "id": "w",
                "title": "One piece of work",
                "kind": "pull-request",
                "link": "https://example.org/w",
                "date": "2026-05-01",
                "role": "author",
                "criteria": ["mobile-m3-1"],
                "impact": "It helped the team.",
            }
        ]
    )
    dump(path, data)
    assert report_of(root, "packets/examples/gap.yaml")["judgement"]["total_points"] == 0
    text = report_text(root, "packets/examples/robin.yaml")
    assert (
        "Web client               Milestone 3 (6 points)" in text
        and "Servers                  Milestone 1 (1 point)" in text
    )
    assert "17 points -> Grade 2 (Engineer I)" in text


def test_points_pages_show_ranges_titles_and_milestones(shapes: dict[str, Path]) -> None:
    site = shapes["points"] / "site"
    home = article_text(site / "index.html")
    assert "Grade 3 20–34 (Engineer II)" in home and "Grade 5 55+ (Senior Engineer)" in home
    assert "with written expectations per level" not in home and "Milestones track" not in home
    level = article_text(site / "levels" / "grade-3" / "index.html")
    assert level.index("How to reach Grade 3") < level.index("Next step")
    assert "Grade 3 is reached with 20 to 34 points in all (title: Engineer II)." in level
    dimension = article_text(site / "dimensions" / "mobile" / "index.html")
    assert (
        "Milestone 3 · 6 points" in dimension
        and 'id="mobile-m3-1"' in (site / "dimensions" / "mobile" / "index.html").read_text()
    )
    ladder = article_text(site / "ladder" / "index.html")
    assert "Milestone Mobile" in ladder and "Grade 4 35–54 (Senior Engineer)" in ladder and " — — " not in ladder
    packet = article_text(site / "packets" / "robin" / "index.html")
    assert (
        "Evidence supports 17 points in all, which maps to Grade 2 (Engineer I); Grade 3 starts at 20 points." in packet
    )


def test_holistic_rule_gives_no_verdict_only_the_evidence_map(shapes: dict[str, Path], tmp_path: Path) -> None:
    root = shutil.copytree(shapes["cumulative"], tmp_path / "h", ignore=shutil.ignore_patterns("site"))
    settings = load(root / "site_config" / "handbook.yaml")
    settings["promotion"] = {"rule": "holistic"}
    dump(root / "site_config" / "handbook.yaml", settings)
    report = report_of(root, "packets/examples/robin.yaml")
    assert report["judgement"]["ready"] is None
    assert "the decision is made on the packet as a whole, not on a count" in report["verdict"]
    assert "still lack" not in report["verdict"]


def test_a_track_may_override_the_rule(shapes: dict[str, Path], tmp_path: Path) -> None:
    root = shutil.copytree(shapes["branching"], tmp_path / "b", ignore=shutil.ignore_patterns("site"))
    settings = load(root / "site_config" / "handbook.yaml")
    settings["tracks"][1]["promotion"] = {"rule": "proportion", "minimum_share": 0.5}
    dump(root / "site_config" / "handbook.yaml", settings)
    assert validate_repository(root, today=TODAY).errors == ()
    judged = report_of(root, "packets/examples/sam-branch.yaml")["judgement"]
    assert judged["rule"]["rule"] == "proportion"
    site = built(root)
    home = article_text(site / "index.html")
    assert "People manager: A packet shows evidence for at least 50%" in home
    assert "Individual contributor: A packet shows evidence for every criterion" in home


def test_the_rule_reads_as_one_sentence_for_every_kind() -> None:
    for rule in (
        PromotionRule(),
        PromotionRule(rule="proportion", minimum_share=0.6, must_have=("x",)),
        PromotionRule(rule="holistic"),
        PromotionRule(rule="points", point_levels=(("a", 0),)),
    ):
        sentence = explain(rule)
        assert sentence.count(". ") == 0 and sentence.endswith(".")
    assert range_for(19, (("a", 0), ("b", 10), ("c", 20))) == "b" and range_for(20, (("a", 0), ("c", 20))) == "c"


# --- Track changes ---------------------------------------------------------------------------------


def test_a_track_switch_packet_validates_and_is_judged_on_what_is_new_or_raised(
    shapes: dict[str, Path], tmp_path: Path
) -> None:
    root = shutil.copytree(shapes["branching"], tmp_path / "b", ignore=shutil.ignore_patterns("site"))
    report = report_of(root, "packets/examples/kai-switch.yaml")
    assert report["judgement"]["track_change"] is True
    counted = {row["criterion"]["id"] for row in report["coverage"]["rows"]}
    # What Senior 2 already expects (e.g. Senior 1's second craft criterion, carried) is not asked again.
    assert "32-craft" not in counted and {"71-craft", "72-craft"} <= counted
    text = report_text(root, "packets/examples/kai-switch.yaml")
    assert "This is a track change" in text
    assert "Expected at Senior 2 and not asked at Engineering Manager 1 (context for the move): 41-craft" in text
    page = article_text(shapes["branching"] / "site" / "packets" / "kai-switch" / "index.html")
    assert "This is a track change" in page


def test_new_packet_switches_track_with_current_or_track(shapes: dict[str, Path], tmp_path: Path) -> None:
    root = shutil.copytree(shapes["branching"], tmp_path / "b", ignore=shutil.ignore_patterns("site"))
    result = run_cli(
        "new", "packet", "--candidate", "Ana Li", "--current", "4-senior-2", "--target", "4-manager-1", cwd=root
    )
    assert result.returncode == 0, result.stderr
    text = (root / "packets" / "2026-h2" / "ana-li.yaml").read_text()
    assert "track: people-manager" in text and "current_level: 4-senior-2" in text and "track change" in text
    assert "#     32-craft" not in text  # already expected at Senior 2: not listed to cite again
    assert validate_repository(root, today=TODAY).errors == ()
    # A shared target level lands on the track asked for.
    result = run_cli(
        "new", "packet", "--candidate", "Bo Chen", "--target", "3-senior-1", "--track", "people-manager", cwd=root
    )
    assert result.returncode == 0, result.stderr
    assert "track: people-manager" in (root / "packets" / "2026-h2" / "bo-chen.yaml").read_text()
    # Down a rank: refused, saying why.
    result = run_cli(
        "new", "packet", "--candidate", "Cy Dee", "--current", "5-staff", "--target", "4-manager-1", cwd=root
    )
    assert result.returncode != 0 and "same or a higher rank" in result.stderr and "Traceback" not in result.stderr


def test_a_move_the_settings_do_not_allow_is_an_error_naming_track_changes(
    shapes: dict[str, Path], tmp_path: Path
) -> None:
    root = shutil.copytree(shapes["branching"], tmp_path / "b", ignore=shutil.ignore_patterns("site"))
    settings = load(root / "site_config" / "handbook.yaml")
    del settings["track_changes"]
    dump(root / "site_config" / "handbook.yaml", settings)
    report = validate_repository(root, today=TODAY)
    assert [d.code for d in report.errors] == ["wrong-track"]
    assert "not among the allowed moves in track_changes (none declared)" in report.errors[0].message


# --- The site says only what the settings say --------------------------------------------------------

PROCESS_CLAIMS = re.compile(
    r"pull requests?\b(?! ?,)|reviewers?\b|committee|calibrat|interview|appeal|sealed|"
    r"review cycle|cycles? (opens|closes)",
    re.I,
)


def test_without_process_settings_no_page_claims_a_process(shapes: dict[str, Path]) -> None:
    site = shapes["cumulative"] / "site"
    for page in (
        "index.html",
        "process/index.html",
        "reference/index.html",
        "packets/robin/index.html",
        "levels/level-4/index.html",
    ):
        text = article_text(site / page).replace("(a pull request,", "")  # an evidence kind, not a claim
        found = PROCESS_CLAIMS.search(text)
        assert found is None, (page, found and text[max(0, found.start() - 80) : found.end() + 40])


def test_declared_process_settings_are_what_the_pages_say(shapes: dict[str, Path]) -> None:
    site = shapes["points"] / "site"
    home = article_text(site / "index.html")
    assert "Send your packet to your manager." in home and "Each packet is read by 3 reviewers." in home
    assert "Grade 4 and 5 include a panel interview." in home and "pull request" not in home
    process = article_text(site / "process" / "index.html")
    assert "assessments" not in process and "Calibration." not in process and "Appeals." not in process


# --- Richer criteria and pages -----------------------------------------------------------------------


def test_criterion_attributes_show_as_badges_and_as_a_step_in_what_changes(shapes: dict[str, Path]) -> None:
    site = shapes["cumulative"] / "site"
    level = (site / "levels" / "level-3" / "index.html").read_text()
    assert 'Proficiency: <span class="hb-badge">practised</span>' in level
    change = article_text(site / "levels" / "changes" / "level-2-to-level-3" / "index.html")
    assert "raised Proficiency: aware → practised" in change
    assert "…" not in article_text(site / "ladder" / "index.html")
    level4 = (site / "levels" / "level-4" / "index.html").read_text()
    assert level4.count('<span class="hb-badge">must have</span>') == 1  # tech-4-1, the must-have


def test_organisation_pages_are_placed_and_sanitized(shapes: dict[str, Path]) -> None:
    site = shapes["cumulative"] / "site"
    html = (site / "pages" / "about" / "index.html").read_text()
    body = search(r"<article.*?</article>", html, re.S).group(0)
    assert "You can progress without showing every behaviour." in body
    assert "<script" not in body and "javascript:" not in body and "onclick" not in body
    nav = (site / "index.html").read_text()
    assert re.search(r'href="pages/about/"', nav)


def test_a_missing_review_date_is_reported_once_by_lint_not_by_validate(shapes: dict[str, Path]) -> None:
    root = shapes["cumulative"]
    assert not [d for d in validate_repository(root, today=TODAY).diagnostics if "review" in d.code]
    result = run_cli("lint", cwd=root)
    assert result.stdout.count("no review date (not yet reviewed)") == 5


def test_a_missing_organisation_page_fails_the_build_with_a_clear_message(
    shapes: dict[str, Path], tmp_path: Path
) -> None:
    root = shutil.copytree(shapes["cumulative"], tmp_path / "c", ignore=shutil.ignore_patterns("site"))
    (root / "pages" / "about.md").unlink()
    result = run_cli("build", cwd=root)
    assert result.returncode != 0 and "pages/about.md" in result.stderr and "Traceback" not in result.stderr
