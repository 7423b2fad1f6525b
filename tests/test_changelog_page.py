"""The criteria changelog for readers (issue 17 item 6): one section per criteria version, a one-line
summary of counts, the details folded, and the first version read as "initial criteria"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import commit, edit, invoke, search
from test_diff_history import RELIABILITY, history  # noqa: F401 (a fixture)


def sections(repo: Path) -> dict[str, str]:
    result = invoke("build", cwd=repo)
    assert result.returncode == 0, result.stderr
    html = (repo / "site" / "changelog" / "index.html").read_text("utf-8")
    article = search(r"<article.*?</article>", html, re.S).group(0)
    parts = re.split(r"<h2 id=[^>]*>", article)[1:]
    return {re.sub(r"<[^>]+>|¶|&para;", "", p.split("</h2>")[0]).strip(): p for p in parts}


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_each_version_has_a_summary_line_and_folded_details(history: Path) -> None:
    found = sections(history)
    assert list(found) == ["2.0.0", "1.3.0"]
    latest = found["2.0.0"]
    assert "1 added · 1 reworded: a major change from 1.3.0." in text(latest)
    details = re.search(r"<details class=\"note\"><summary>(.*?)</summary>(.*?)</details>", latest, re.S)
    assert details and details.group(1) == "The 2 changes, one by one"
    assert '<details class="note" open' not in latest  # folded
    assert "rel-ic3-capacity" in details.group(2) and "rel-ic4-oncall" in details.group(2)
    assert len(re.findall(r"<li>", details.group(2))) == 2


def test_the_first_version_reads_initial_criteria_without_a_bullet_per_criterion(history: Path) -> None:
    first = sections(history)["1.3.0"]
    assert re.search(r"Initial criteria</strong>: the first criteria version in this history, \d+ criteria", first)
    assert "<li>" not in first and "<details" not in first and "added" not in text(first)


@pytest.mark.parametrize(
    "change, summary",
    [
        ((RELIABILITY, "Shapes on-call for many teams", "Shapes on-call for all teams"), "1 reworded"),
        (
            (
                RELIABILITY,
                "    - id: rel-ic3-capacity\n      text: Plans capacity for the team's services ahead of demand.\n"
                "      examples: [Forecasts peak load for the sales event.]\n",
                "",
            ),
            "1 removed",
        ),
        (
            (RELIABILITY, "[Forecasts peak load for the sales event.]", "[Forecasts peak load for the launch.]"),
            "1 other change",
        ),
    ],
)
def test_changes_not_yet_released_are_counted_the_same_way(
    history: Path, change: tuple[str, str, str], summary: str
) -> None:
    path, old, new = change
    edit(history / path, old, new)
    commit(history, "Unreleased change")
    found = sections(history)
    assert list(found)[0] == "Since 2.0.0, not yet a new version"
    assert text(found["Since 2.0.0, not yet a new version"]).split("&para; ")[1].startswith(summary + ": calls for a")
