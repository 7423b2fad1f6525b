"""One vocabulary (issue 17, item 5): each concept has one set of status words, and pages,
reports and the command line use the same ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Built, invoke, search

from generator.render.vocabulary import WORDS, say

pytestmark = pytest.mark.xdist_group("public-site")


@pytest.fixture
def built(public_site: Built) -> Path:
    return public_site.repo


def article(repo: Path, path: str) -> str:
    html = (repo / "site" / path / "index.html").read_text("utf-8")
    body = search(r"<article.*?</article>", html, re.S).group(0)
    body = re.sub(r'<div class="hb-print-only.*?</div>', "", body, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").split())


def test_no_word_means_two_things() -> None:
    """A reader never sees the same word for two different statuses of two concepts, except
    'retired' (a retired metric has no review) and the shared 'in review' / 'withdrawn'."""
    seen: dict[str, set[str]] = {}
    for concept, words in WORDS.items():
        for code, word in words.items():
            seen.setdefault(word, set()).add(concept)
    shared = {word: concepts for word, concepts in seen.items() if len(concepts) > 1}
    assert set(shared) <= {"retired", "in review", "withdrawn"}, shared
    assert say("current", "review") == "up to date" and say("submitted", "decision") == "in review"


@pytest.mark.parametrize("metric", ["deployment-frequency", "change-lead-time", "slo-attainment"])
def test_an_active_metric_says_status_and_review_in_the_same_words_everywhere(built: Path, metric: str) -> None:
    text = article(built, f"metrics/{metric}")
    assert "Status: active · review: up to date" in text
    assert "Status active Review up to date" in text  # the governance table
    assert "current" not in text.split("Governance")[-1]
    catalogue = article(built, "metrics")
    assert "up to date" in catalogue and " current " not in catalogue


def test_a_retired_metric_says_do_not_cite_and_has_no_next_review(built: Path) -> None:
    text = article(built, "metrics/story-point-velocity")
    assert "Retired metric: do not cite" in text
    assert "Next review none: retired metrics are not reviewed" in text
    assert not re.search(r"Next review \d{4}-\d{2}-\d{2}", text)
    assert "review: " not in text.split("Purpose")[0]  # no review status in the header
    assert "Story point velocity · retired: do not cite" in article(built, "metrics")


@pytest.mark.parametrize("fmt,expected", [("text", "up to date"), ("markdown", "up to date")])
def test_the_governance_command_uses_the_same_words(built: Path, fmt: str, expected: str) -> None:
    result = invoke("governance", "--format", fmt, cwd=built)
    assert expected in result.stdout and "current" not in result.stdout, result.stdout


def test_composite_is_explained_at_first_use_and_the_reference_tab_opens_the_glossary(built: Path) -> None:
    composite = article(built, "composite")
    first = composite.index("OV")
    assert composite[first - 40 : first + 40].count("overall value") == 1
    home = (built / "site" / "index.html").read_text("utf-8")
    tab = re.search(r'<a href="([^"]+)" class="md-tabs__link">\s*Reference', home)
    assert tab and tab.group(1) == "reference/"
    glossary = article(built, "reference")
    for term in (
        "Dimension",
        "Criterion",
        "Level",
        "Packet",
        "Composite (OV)",
        "Gate",
        "Cycle",
        "Track",
        "Evidence",
        "Calibration",
        "Criteria version",
        "Metric",
    ):
        assert f" {term} " in f" {glossary} ", term
    assert glossary.index("Calibration") < glossary.index("For tool builders: JSON Schemas")
    assert "packet.schema.json" in glossary.split("For tool builders")[1]
