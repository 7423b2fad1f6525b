"""Any real career framework fits without faking: a framework-shaped handbook (tests/framework.py)
built for real, and the parts of the open model one by one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conftest import Built, search

if TYPE_CHECKING:
    from playwright.sync_api import Page

import gzip
import json
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import FIXED_TODAY, copy_content, edit, invoke, override_template
from framework import IC, MANAGER, ORGANISATION, external_id

from generator.compute.scoring import weight_percents
from generator.workspace.workspace import validate_repository

TODAY = date.fromisoformat(FIXED_TODAY)
PLACEHOLDERS = re.compile(r"\b(TODO|TBD|lorem|placeholder|No criteria|None)\b|\bN/A\b", re.I)


pytestmark = pytest.mark.xdist_group("framework-site")


@pytest.fixture
def framework(framework_site: Built) -> tuple[Path, Path]:
    """tests/framework.py's handbook, built once per session (conftest.py)."""
    return framework_site.repo, framework_site.site


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("index.html") if "assets" not in p.parts)


def article(html: str) -> str:
    return search(r"<article.*?</article>", html, re.S).group(0)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_page_per_level_and_what_changes_for_every_step_on_every_track(framework: tuple[Path, Path]) -> None:
    _, site = framework
    for level in {*IC, *MANAGER}:
        assert (site / "levels" / level / "index.html").is_file(), level
    steps = {(a, b) for ladder in (IC, MANAGER) for a, b in zip(ladder, ladder[1:])}
    assert ("3-senior-1", "4-manager-1") in steps and ("3-senior-1", "4-senior-2") in steps  # the branch
    for lower, higher in steps:
        page = site / "levels" / "changes" / f"{lower}-to-{higher}" / "index.html"
        assert page.is_file(), (lower, higher)
    branch = text_of(article((site / "levels/changes/3-senior-1-to-4-manager-1/index.html").read_text()))
    assert "raised" in branch and "carried over" in branch
    # the raised criterion sits beside the one it replaces
    assert "Shows craft at the Senior 1 level … Shows craft at the Engineering Manager 1 level … raised" in branch


def test_no_placeholder_and_no_other_organisation_anywhere(framework: tuple[Path, Path]) -> None:
    _, site = framework
    for path in site.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            assert b"Northwind" not in raw, path
    for path in pages(site):
        found = PLACEHOLDERS.search(text_of(article(path.read_text("utf-8"))))
        assert found is None, (path, found and found.group(0))


class _Blocks(HTMLParser):
    """The article's headings and tables, in order, with whether any content follows each heading."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2", "h3", "h4"):
            self.events.append(("heading", tag))
        elif tag in ("p", "ul", "ol", "table", "div", "dl") and self.events and self.events[-1][0] == "heading":
            self.events.append(("content", tag))
        elif tag == "tr":
            self.events.append(("row", tag))

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self.events.append(("body", tag))


def test_no_empty_section_heading_or_table(framework: tuple[Path, Path]) -> None:
    _, site = framework
    for path in pages(site):
        parser = _Blocks()
        parser.feed(article(path.read_text("utf-8")))
        events = parser.events
        for index, (kind, tag) in enumerate(events):
            if kind == "heading" and tag != "h1":
                following = events[index + 1] if index + 1 < len(events) else ("end", "")
                nested = following[0] == "heading" and following[1] > tag
                assert following[0] == "content" or nested, f"{path}: empty <{tag}> section"
        html = article(path.read_text("utf-8"))
        for table in re.findall(r"<table>.*?</table>", html, re.S):
            assert re.search(r"<tbody>\s*<tr>", table), f"{path}: table without rows"


def test_titles_and_site_name_come_from_the_settings(framework: tuple[Path, Path]) -> None:
    _, site = framework
    for path in pages(site):
        title = search(r"<title>(.*?)</title>", path.read_text("utf-8"), re.S).group(1)
        assert title.endswith(f"{ORGANISATION} Handbook"), (path, title)
    home = text_of(article((site / "index.html").read_text()))
    assert "on 9 dimensions" in home and "gate" not in home.lower() and "composite" not in home.lower()
    assert "Shares Associate, Engineer and Senior 1 with the People manager track, then branches after Senior 1" in home


def test_external_ids_markdown_lists_and_carried_criteria_on_level_pages(framework: tuple[Path, Path]) -> None:
    _, site = framework
    html = (site / "levels" / "4-manager-1" / "index.html").read_text()
    assert external_id("craft", "4-manager-1", "1") in html
    assert re.search(r"<li>applies craft practices to their own work</li>", html)
    assert 'id="71-craft"' in html  # ids may start with a digit and stay readable anchors
    body = text_of(article(html))
    assert "Still expected from lower levels" in body and "32-craft" in body
    assert "Examples" not in body and "Readiness" not in body and "Scope" not in body
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert any(external_id("quality", "2-engineer", "2") in doc["text"] for doc in index["docs"])


def test_ladder_splits_nine_dimensions_into_tables_that_fit(framework: tuple[Path, Path]) -> None:
    _, site = framework
    html = article((site / "ladder" / "index.html").read_text())
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    assert len(tables) == 2 * 3  # two tracks, nine dimensions in tables of at most four
    for table in tables:
        header = search(r"<thead>.*?</thead>", table, re.S).group(0)
        assert header.count("<th>") <= 5
        assert "<ul>" not in table  # a criterion written as a list shows its short form here


def test_completeness_report_is_information_never_an_error(framework: tuple[Path, Path]) -> None:
    root, _ = framework
    result = invoke("lint", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "levels/4-manager-1.yaml: info: level 4-manager-1: no scope" in result.stdout
    assert "rubrics/composite.yaml: info: composite score: none defined (optional)" in result.stdout
    assert "error" not in result.stdout.lower().replace("none of this is an error", "")
    payload = json.loads(invoke("lint", "--format", "json", cwd=root).stdout)
    assert {gap["subject"] for gap in payload} >= {"level 1-associate", "dimension craft", "metrics"}


def test_a_packet_across_the_branch_step(framework: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = framework
    repo = shutil.copytree(root, tmp_path / "copy", ignore=shutil.ignore_patterns("site"))
    result = invoke("new", "packet", "--candidate", "Kim Lee", "--target", "4-manager-1", cwd=repo)
    assert result.returncode == 0, result.stderr
    text = (repo / "packets" / "2026-h2" / "kim-lee.yaml").read_text()
    assert "track: people-manager" in text and "current_level: 3-senior-1" in text
    assert "32-craft" in text  # carried up from Senior 1: still expected, so listed to cite
    assert "#     71-craft: Shows craft at the Engineering Manager 1 level: - applies" in text  # a list stays a comment
    assert validate_repository(repo, today=TODAY).errors == ()
    edit(repo / "packets/examples/sam-branch.yaml", "track: people-manager", "track: individual-contributor")
    report = validate_repository(repo, today=TODAY)
    assert [d.code for d in report.errors][:1] == ["wrong-track"]
    message = report.errors[0].message
    assert "is not on the packet's track 'individual-contributor'" in message and "it is on people-manager" in message


@pytest.mark.parametrize(
    "weights",
    [[0.4, 0.35, 0.25], [1 / 3] * 3, [1 / 9] * 9, [0.333, 0.333, 0.334], [0.125] * 8, [0.7, 0.1, 0.1, 0.1], [0.5, 0.5]],
)
def test_displayed_weights_add_up_to_100(weights: list[float]) -> None:
    percents = weight_percents(weights)
    assert sum(percents) == 100
    assert all(abs(p - 100 * w / sum(weights)) < 1 for p, w in zip(percents, weights))


def test_without_a_composite_nothing_mentions_one(repo: Path, tmp_path: Path) -> None:
    (repo / "rubrics" / "composite.yaml").unlink()
    result = invoke("build", cwd=repo)
    assert result.returncode == 0, result.stderr
    site = repo / "site"
    assert not (site / "composite").exists()
    for path in ("", "packets/priya-raman-senior/", "packets/"):
        body = text_of(article((site / path / "index.html").read_text()))
        assert "omposite" not in body, path
    readiness = invoke("readiness", "packets/examples/priya-raman-senior.yaml", cwd=repo)
    assert readiness.returncode == 0 and "composite" not in readiness.stdout.lower()


@pytest.mark.parametrize("key", ["site_name", "nav", "site_url"])
def test_settings_own_the_generated_mkdocs_keys(repo: Path, key: str) -> None:
    with (repo / "mkdocs.yml").open("a") as handle:
        handle.write(f"{key}: Something else\n")
    result = invoke("build", cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(rf"mkdocs.yml:\d+:1: '{key}' is generated from", result.stderr), result.stderr


def test_an_organisation_template_overrides_the_shipped_one(repo: Path) -> None:
    edit(override_template(repo, "home.md.j2"), "# How you are evaluated, in two minutes", "# How we work")
    assert invoke("build", cwd=repo).returncode == 0
    assert '<h1 id="how-we-work">How we work' in (repo / "site" / "index.html").read_text()
    assert "In two minutes" not in (repo / "site" / "index.html").read_text()


def test_handbook_title_names_the_site(repo: Path) -> None:
    edit(
        repo / "site_config/handbook.yaml",
        "  name: Northwind Engineering\n",
        "  name: Northwind Engineering\n  handbook_title: The Northwind Way\n",
    )
    assert invoke("build", cwd=repo).returncode == 0
    assert "<title>The Northwind Way</title>" in (repo / "site" / "index.html").read_text()


# The ladder in a real browser: at 1280 px no table is wider than the content column.


def test_ladder_is_not_clipped_at_1280_px(page: Page, framework_url: str) -> None:
    page.goto(f"{framework_url}/ladder/")  # page: 1280 x 900 (browserkit.py)
    overflow = page.evaluate("""() => [...document.querySelectorAll('article table')].map(t => {
        const box = t.closest('article').getBoundingClientRect();
        return {scroll: t.scrollWidth - t.clientWidth, right: t.getBoundingClientRect().right - box.right};
    })""")
    assert overflow and all(o["scroll"] <= 1 and o["right"] <= 1 for o in overflow), overflow


def _first_shape(repo: Path) -> None:
    """Rewrite a copy of the default content the way the model's first shape wrote it."""
    import yaml as pyyaml

    settings = pyyaml.safe_load((repo / "site_config/handbook.yaml").read_text())
    for track in settings["tracks"]:
        for rank, level in enumerate(track.pop("levels"), 1):
            path = repo / "levels" / f"{level}.yaml"
            path.write_text(
                path.read_text().replace(f"id: {level}\n", f"id: {level}\ntrack: {track['id']}\nrank: {rank}\n")
            )
    del settings["dimension_groups"]
    (repo / "site_config/handbook.yaml").write_text(pyyaml.safe_dump(settings, sort_keys=False))
    for path in (repo / "rubrics/dimensions").glob("*.yaml"):
        text = re.sub(r"order: \d+\ngroup: (\w+)\n", r"layer: \1\n", path.read_text())
        path.write_text(re.sub(r"      raises: .*\n", "", text))
    for path in (repo / "rubrics/metrics").glob("*.yaml"):
        path.write_text(path.read_text().replace("\ngroup: ", "\nlayer: "))


def test_history_in_the_first_shape_reads_as_the_same_handbook(repo: Path, tmp_path: Path) -> None:
    from generator.compute.semantic_diff import diff_handbooks
    from generator.load.legacy import upgrade_tree

    old = copy_content(tmp_path / "old")
    _first_shape(old)
    assert validate_repository(old, today=TODAY).errors  # the current schemas reject the first shape
    assert upgrade_tree(old)
    before = validate_repository(old, today=TODAY)
    assert before.errors == ()
    for path in (repo / "rubrics/dimensions").glob("*.yaml"):
        path.write_text(re.sub(r"      raises: .*\n", "", path.read_text()))
    diff = diff_handbooks(before.handbook, validate_repository(repo, today=TODAY).handbook)
    assert diff.changes == (), diff.changes
    assert not upgrade_tree(repo)  # content already in the current shape is left alone
