"""Build the real site into a temporary folder and inspect the HTML."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import Built, copy_content, edit, invoke, override_template, search

FIXTURE_PACKET = Path(__file__).parent / "fixtures" / "packets" / "fixture-staff.yaml"


pytestmark = pytest.mark.xdist_group("public-site")


Site = tuple[Path, Path, subprocess.CompletedProcess[str]]  # (repository, site folder, the build's result)


@pytest.fixture
def built(public_site: Built) -> Site:
    """The default handbook with tests/fixtures/packets/fixture-staff.yaml among its examples (and
    private packets, which a public site leaves out), built once per session (conftest.py)."""
    return public_site.repo, public_site.site, public_site.result


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text("utf-8")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_build_reports_progress_and_result(built: Site) -> None:
    _, site, result = built
    assert "• Validating" in result.stderr and "• Building" in result.stderr
    assert result.stdout.startswith("Built 42 pages into")  # the teams index and its page; the dimensions index


def test_every_entity_has_its_page(built: Site) -> None:
    repo, site, _ = built
    for level in ("ic1", "ic2", "ic3", "ic4", "ic5", "em1", "em2"):
        assert "<h1" in page(site, f"levels/{level}")
    for dim in ("delivery", "reliability", "collaboration"):
        assert (site / "dimensions" / dim / "index.html").is_file()
    for metric in (repo / "rubrics" / "metrics").glob("*.yaml"):
        assert (site / "metrics" / metric.stem / "index.html").is_file()
    for packet in ("priya-raman-senior", "jonas-berg-staff", "amara-okafor-senior", "fixture-staff"):
        assert (site / "packets" / packet / "index.html").is_file()
    for change in ("ic1-to-ic2", "ic4-to-ic5", "em1-to-em2"):
        assert (site / "levels" / "changes" / change / "index.html").is_file()
    for team in (repo / "teams").iterdir():
        assert (site / "teams" / team.name / "index.html").is_file()
    schemas_page = page(site, "schemas")
    for kind in (
        "level",
        "packet",
        "metric",
        "dimension",
        "composite",
        "settings",
        "team",
        "slo",
        "deployment",
        "incident",
    ):
        schema = json.loads((site / "schemas" / f"{kind}.schema.json").read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert f'href="{kind}.schema.json"' in schemas_page
    assert "Team files" in schemas_page and "teams/&#60;team-id&#62;/deployments.jsonl" in schemas_page


def test_every_criterion_has_an_anchor_on_its_level_page(
    built: Site,
) -> None:
    repo, site, _ = built
    from generator.workspace.workspace import validate_repository

    hb = validate_repository(repo, today=date(2026, 11, 28)).handbook
    for dim in hb.dimensions:
        for criterion in dim.criteria:
            assert f'id="{criterion.id}"' in page(site, f"levels/{criterion.level}"), criterion.id


def test_coverage_matrix_and_composite_for_the_fixture_packet(
    built: Site,
) -> None:
    _, site, _ = built
    text = text_of(page(site, "packets/fixture-staff"))
    assert "4 of 6 criteria covered (67%)" in text
    assert re.search(r"Finds systemic failure modes .*? not covered —", text)
    assert re.search(r"Shapes on-call for several teams .*? covered ev-two", text)
    assert "Delivery 5, 5 5 0 40% 2 " in text
    assert "Reliability 2, 2 2 0 35% 0.7 " in text
    assert "Collaboration 4, 3 3.5 1 25% 0.875 " in text
    assert "Capped by the gate on Reliability (mean below 2.5): at most 2.5." in text
    assert "Composite capped: 2.5 (weighted 3.58)" in text and "withheld" not in text
    assert "Evidence that cites no criterion: ev-four" in text
    assert "2 of 4 pieces of evidence are invisible work" in text


def test_gallery_and_withheld_score(built: Site) -> None:
    _, site, _ = built
    text = text_of(page(site, "packets/jonas-berg-staff"))
    assert (
        "Composite withheld: evidence covers 50% of the target level's criteria; a score is shown from 60%. "
        "No score is shown, so no gate caps one."
    ) in text
    assert "Capped" not in text and "Composite capped" not in text  # withheld, never both
    gallery = text_of(page(site, "packets"))
    decided, in_review = gallery.split("Real-shaped, fictional packets", 1)[1].split("Packets without a decision", 1)
    assert "Fixture Candidate Senior Engineer → Staff Engineer 2026-h2 4 of 6 (67%) 2.5 draft" in in_review
    assert "Fixture Candidate" not in decided and "submitted" not in gallery
    assert "Priya Raman" in decided and "promoted (2026-06-19)" in decided


def test_composite_page_worked_example(built: Site) -> None:
    _, site, _ = built
    text = text_of(page(site, "composite"))
    # Ratings come from the composite itself: its first gate's dimension just under the threshold.
    assert "Reliability 2, 2, 2 2 35% 0.7" in text
    assert "Delivery 5, 4, 5 4.67 40% 1.867" in text
    assert "Weighted sum 3.73 " in text
    assert "Composite: 2.5 — capped from 3.73, because High output cannot offset" in text


def test_metric_catalogue_shows_governance_status(built: Site) -> None:
    _, site, _ = built
    html = page(site, "metrics")
    assert html.count('class="hb-status hb-status-current"') == 7
    assert html.count('class="hb-status hb-status-retired"') == 1
    assert "2027-01-06" in html  # deployment frequency: last reviewed 2026-10-06, quarterly


def test_search_index_contains_criteria_text(built: Site) -> None:
    _, site, _ = built
    index = (site / "search" / "search_index.json").read_text("utf-8")
    assert "Shapes on-call for several teams so it is sustainable" in index


def test_material_features(built: Site) -> None:
    _, site, _ = built
    home = page(site, ".")
    assert "How you are evaluated, in two minutes" in home
    assert 'data-md-color-scheme="default"' in home and "slate" in home  # light/dark palette
    assert "md-tabs" in home  # navigation tabs
    assert "handbook.css" in home


def test_failing_validation_builds_nothing_and_keeps_the_old_site(built: Site, tmp_path: Path) -> None:
    repo = copy_content(tmp_path / "broken")
    (repo / "site").mkdir()
    (repo / "site" / "marker.txt").write_text("previous site")
    edit(repo / "levels" / "ic2.yaml", "min_months: 18", "min_months: [18")
    result = invoke("build", cwd=repo)
    assert result.returncode == 1
    assert "levels/ic2.yaml:10:13: error: YAML syntax error" in result.stderr
    assert "validation failed: nothing was built" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in (repo / "site").iterdir()] == ["marker.txt"]
    assert not list(tmp_path.joinpath("broken").glob(".site-build-*"))


def test_template_error_is_reported_without_traceback(tmp_path: Path) -> None:
    repo = copy_content(tmp_path / "tpl")
    edit(
        override_template(repo, "composite.md.j2"),
        "{{ composite.explanation | block }}",
        "{{ composite.no_such_field }}",
    )
    result = invoke("build", cwd=repo)
    assert result.returncode == 1
    assert "composite.md.j2:" in result.stderr and "no_such_field" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (repo / "site").exists()


def test_harm_reviews_on_metric_pages_and_catalogue(built: Site) -> None:
    _, site, _ = built
    metric = text_of(page(site, "metrics/deployment-frequency"))
    assert "2026-10-06 — keep" in metric and "2026-04-08 — change" in metric
    assert metric.index("2026-10-06 — keep") < metric.index("2026-04-08 — change")  # newest first
    assert "gaming One team split configuration changes" in metric
    catalogue = text_of(page(site, "metrics"))
    assert "Story point velocity 1 2026-03-02 retire gaming, misuse" in catalogue
    assert 'id="harm-reviews"' in page(site, "metrics/story-point-velocity")


def test_default_process_health_page_comes_from_the_committed_aggregates(
    built: Site,
) -> None:
    _, site, _ = built
    text = text_of(page(site, "process-health"))
    assert "No review cycle has been published yet" in text
    assert "examples left out" in text and "published once, after it has closed" in text


def test_link_check_finds_missing_files_and_anchors(tmp_path: Path) -> None:
    from generator.site.linkcheck import check_site

    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="a/">ok</a><a href="a/#there">ok</a><a href="a/#nowhere">x</a>'
        '<a href="missing/">x</a><a href="https://example.com/">ext</a>'
        '<img src="../../etc/passwd"><a href="#top">self</a><h1 id="top">t</h1>'
    )
    (tmp_path / "a" / "index.html").write_text('<h2 id="there">x</h2><a href="/index.html#top">root</a>')
    broken = {(b.page, b.target, b.reason) for b in check_site(tmp_path)}
    assert broken == {
        ("index.html", "a/#nowhere", "no element with id 'nowhere'"),
        ("index.html", "missing/", "no such file"),
        ("index.html", "../../etc/passwd", "points outside the site"),
    }


def test_home_page_reads_in_under_two_minutes(built: Site) -> None:
    _, site, _ = built
    article = search(r"<article.*?</article>", page(site, "."), re.S).group(0)
    article = re.sub(r'<div class="hb-print-only.*?</div>', "", article, flags=re.S)  # on paper only
    words = len(text_of(article).split())
    assert words <= 500, f"{words} words: more than two minutes at 250 words a minute"
